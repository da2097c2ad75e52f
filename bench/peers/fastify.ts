import Fastify from 'fastify';
import { getOrders, getScore, getUser, ioWait, step } from './work.js';

/**
 * The same compositions hand-written on Fastify 5 (what a Node team picks for an HTTP API):
 * its JSON body parser, async route handlers with Promise.all, logging off (as the other peers).
 */

export async function startFastify(port: number): Promise<{ port: number; close(): Promise<void> }> {
  const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
  app.post<{ Body: { id: number } }>('/composition', async (request) => {
    const id = request.body.id;
    const [user, orders, score] = await Promise.all([getUser(id), getOrders(id), getScore(id)]);
    return { result: { user, orders, score } };
  });
  app.post<{ Body: { value: number } }>('/chain', async (request) => ({ c: await step(await step(await step(request.body.value))) }));
  app.post<{ Body: { ms: number } }>('/fanout-io', async (request) => {
    const waits = await Promise.all(Array.from({ length: 8 }, () => ioWait(request.body.ms)));
    return { total: waits.reduce((a, b) => a + b, 0) };
  });
  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  return { port: address.port, close: () => app.close() };
}

if (process.argv[1]?.endsWith('fastify.js')) {
  const s = await startFastify(Number(process.argv[2] ?? 0));
  process.stdout.write(`listening ${s.port}\n`);
}
