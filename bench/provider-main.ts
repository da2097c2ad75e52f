import * as grpc from '@grpc/grpc-js';
import { bindServer } from '../server/provider/grpc-server.js';
import { serveProvider } from '../server/provider/kit/index.js';
import { services } from '../server/provider/proto.js';
import { lookup } from './modules/provider-modules.js';

/**
 * The provider process of the provider benchmark: serves Lookup to the engine named in argv, and
 * a bare ModuleExecutor answering a constant (the gRPC floor: what one round trip costs with
 * nothing of ours in it). Prints `ready <floor port>`.
 */
const provider = await serveProvider({ namespace: 'bench.remote', modules: [lookup('bench.remote')], servers: [process.argv[2]!], executor: { host: '127.0.0.1' }, log: () => {} });
const floor = new grpc.Server();
const answer = { outputData: Buffer.from(JSON.stringify({ tag: 'CString', value: 'constant' })) };
floor.addService(services().ModuleExecutor.service, { execute: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, answer) });
const floorPort = await bindServer(floor, '127.0.0.1', 0, grpc.ServerCredentials.createInsecure(), 'the floor executor');
process.stdout.write(`ready ${floorPort}\n`);
process.on('SIGTERM', () => void provider.stop().then(() => process.exit(0)));
