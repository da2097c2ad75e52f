import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { getOrders, getScore, getUser, ioWait, step } from './work.js';

/**
 * What a team would write without an orchestrator: the same compositions hand-written on
 * node:http with Promise.all.
 */

async function readJson(req: IncomingMessage): Promise<Record<string, number>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, number>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function startNodeHttp(port: number): Promise<{ port: number; close(): void }> {
  const server = createServer((req, res) => {
    readJson(req)
      .then(async (body) => {
        switch (req.url) {
          case '/composition': {
            const id = body['id']!;
            const [user, orders, score] = await Promise.all([getUser(id), getOrders(id), getScore(id)]);
            return send(res, 200, { result: { user, orders, score } });
          }
          case '/chain':
            return send(res, 200, { c: await step(await step(await step(body['value']!))) });
          case '/fanout-io': {
            const waits = await Promise.all(Array.from({ length: 8 }, () => ioWait(body['ms']!)));
            return send(res, 200, { total: waits.reduce((a, b) => a + b, 0) });
          }
          default:
            return send(res, 404, { error: 'NotFound' });
        }
      })
      .catch((e: unknown) => send(res, 400, { error: String(e) }));
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, close: () => server.close() })));
}

if (process.argv[1]?.endsWith('node-http.js')) {
  const s = await startNodeHttp(Number(process.argv[2] ?? 0));
  process.stdout.write(`listening ${s.port}\n`);
}
