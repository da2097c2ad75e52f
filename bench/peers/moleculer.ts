import { ServiceBroker } from 'moleculer';
import ApiGateway from 'moleculer-web';
import { getOrders, getScore, getUser, ioWait, step } from './work.js';

/**
 * Moleculer 0.14 with moleculer-web (0.15 needs Node 22): the same compositions as services
 * and actions behind its API gateway, in one process, no transporter (its fastest setup).
 */

export async function startMoleculer(port: number): Promise<{ port: number; close(): Promise<void> }> {
  const broker = new ServiceBroker({ logger: false, metrics: false, tracing: false });
  broker.createService({
    name: 'lookups',
    actions: {
      getUser: (request: { params: { id: number } }) => getUser(request.params.id),
      getOrders: (request: { params: { id: number } }) => getOrders(request.params.id),
      getScore: (request: { params: { id: number } }) => getScore(request.params.id),
      step: (request: { params: { value: number } }) => step(request.params.value),
      ioWait: (request: { params: { ms: number } }) => ioWait(request.params.ms),
    },
  });
  type Ctx = { params: Record<string, number>; call: (action: string, params: object) => Promise<unknown> };
  broker.createService({
    name: 'compose',
    actions: {
      async composition(request: Ctx) {
        const id = request.params['id']!;
        const [user, orders, score] = await Promise.all([request.call('lookups.getUser', { id }), request.call('lookups.getOrders', { id }), request.call('lookups.getScore', { id })]);
        return { result: { user, orders, score } };
      },
      async chain(request: Ctx) {
        const a = (await request.call('lookups.step', { value: request.params['value']! })) as number;
        const b = (await request.call('lookups.step', { value: a })) as number;
        return { c: await request.call('lookups.step', { value: b }) };
      },
      async fanoutIo(request: Ctx) {
        const waits = (await Promise.all(Array.from({ length: 8 }, () => request.call('lookups.ioWait', { ms: request.params['ms']! })))) as number[];
        return { total: waits.reduce((a, b) => a + b, 0) };
      },
    },
  });
  broker.createService({
    name: 'api',
    mixins: [ApiGateway],
    settings: {
      port,
      ip: '127.0.0.1',
      routes: [{ path: '/', aliases: { 'POST /composition': 'compose.composition', 'POST /chain': 'compose.chain', 'POST /fanout-io': 'compose.fanoutIo' }, bodyParsers: { json: true }, mappingPolicy: 'restrict' }],
    },
  } as never);
  await broker.start();
  const api = broker.getLocalService('api') as unknown as { server: { address(): { port: number } } };
  return { port: api.server.address().port, close: () => broker.stop() };
}

if (process.argv[1]?.endsWith('moleculer.js')) {
  const s = await startMoleculer(Number(process.argv[2] ?? 0));
  process.stdout.write(`listening ${s.port}\n`);
}
