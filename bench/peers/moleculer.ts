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
      getUser: (ctx: { params: { id: number } }) => getUser(ctx.params.id),
      getOrders: (ctx: { params: { id: number } }) => getOrders(ctx.params.id),
      getScore: (ctx: { params: { id: number } }) => getScore(ctx.params.id),
      step: (ctx: { params: { value: number } }) => step(ctx.params.value),
      ioWait: (ctx: { params: { ms: number } }) => ioWait(ctx.params.ms),
    },
  });
  type Ctx = { params: Record<string, number>; call: (action: string, params: object) => Promise<unknown> };
  broker.createService({
    name: 'compose',
    actions: {
      async composition(ctx: Ctx) {
        const id = ctx.params['id']!;
        const [user, orders, score] = await Promise.all([ctx.call('lookups.getUser', { id }), ctx.call('lookups.getOrders', { id }), ctx.call('lookups.getScore', { id })]);
        return { result: { user, orders, score } };
      },
      async chain(ctx: Ctx) {
        const a = (await ctx.call('lookups.step', { value: ctx.params['value']! })) as number;
        const b = (await ctx.call('lookups.step', { value: a })) as number;
        return { c: await ctx.call('lookups.step', { value: b }) };
      },
      async fanoutIo(ctx: Ctx) {
        const waits = (await Promise.all(Array.from({ length: 8 }, () => ctx.call('lookups.ioWait', { ms: ctx.params['ms']! })))) as number[];
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
