import uWS from 'uWebSockets.js';

/**
 * The ceiling: a raw uWebSockets.js server that answers a POST by parsing its JSON body and
 * writing a JSON reply (and a GET hello world). Nothing of Constellation runs here; the bench
 * compares our routes with this.
 */
export function startCeiling(port: number): Promise<{ port: number; close(): void }> {
  const app = uWS.App();
  app.get('/hello', (res) => {
    res.cork(() => res.writeHeader('content-type', 'text/plain').end('Hello World'));
  });
  app.post('/echo', (res) => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    const chunks: Buffer[] = [];
    res.onData((chunk, isLast) => {
      chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
      if (!isLast) return;
      let reply: string;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { inputs?: { x?: number } };
        reply = JSON.stringify({ success: true, outputs: { y: (body.inputs?.x ?? 0) + 1 } });
      } catch {
        reply = '{"success":false}';
      }
      if (!aborted) res.cork(() => res.writeHeader('content-type', 'application/json').end(reply));
    });
  });
  return new Promise((resolve, reject) => {
    app.listen('127.0.0.1', port, (socket) => {
      if (!socket) return reject(new Error('listen failed'));
      resolve({ port: uWS.us_socket_local_port(socket), close: () => uWS.us_listen_socket_close(socket) });
    });
  });
}

if (process.argv[1]?.endsWith('uws-ceiling.js')) {
  const s = await startCeiling(Number(process.argv[2] ?? 19000));
  process.stdout.write(`ceiling on ${s.port}\n`);
}
