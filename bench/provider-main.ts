import { serveProvider } from '../server/provider/kit/index.js';
import { lookup } from './modules/provider-modules.js';

/** The provider process of the provider benchmark: serves Lookup to the engine named in argv. */
const provider = await serveProvider({ namespace: 'bench.remote', modules: [lookup('bench.remote')], servers: [process.argv[2]!], executor: { host: '127.0.0.1' }, log: () => {} });
process.stdout.write('ready\n');
process.on('SIGTERM', () => void provider.stop().then(() => process.exit(0)));
