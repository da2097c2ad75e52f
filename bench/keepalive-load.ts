import net from 'node:net';

/**
 * A keep-alive HTTP/1.1 load client that tells apart every way a request can end, for the
 * drain figures (bench/drain.ts) and the drain test: `connections` loops, each sending one
 * request at a time on its connection and reconnecting when the server says
 * `Connection: close` or closes (as an HTTP client does), until `stop()`.
 *
 * Outcomes per request: `ok` (2xx; `okClosing` counts those with `Connection: close`), `closing` (503 with `Connection: close`), `refusedOpen`
 * (503 without it), `other` (any other status), `reset` (the request was written and the
 * connection reset or closed before a whole answer: the request is lost), and per connection
 * attempt `refused` (ECONNREFUSED: nothing was sent, the client may go elsewhere).
 *
 * With `leaveOnClose`, a loop that reads `Connection: close` stops instead of reconnecting —
 * a client behind a load balancer that moves to another instance.
 */

export interface LoadOutcome {
  ok: number;
  okClosing: number;
  closing: number;
  refusedOpen: number;
  other: number;
  reset: number;
  refused: number;
}

export interface LoadOptions {
  readonly port: number;
  readonly connections: number;
  /** The raw request (method, path, headers, body) each loop sends. */
  readonly request: string;
  readonly leaveOnClose?: boolean;
}

export interface RunningLoad {
  readonly outcome: LoadOutcome;
  /** Stops every loop after its current request; resolves when all have stopped. */
  stop(): Promise<void>;
  /** Resolves when every loop has ended by itself (refused, or left after `Connection: close`). */
  readonly ended: Promise<void>;
}

/** Parses one response at the start of `buf`: its status, whether it closes, and its length in bytes. */
function parseResponse(buf: Buffer): { status: number; close: boolean; length: number } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = buf.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
  const close = /\r\nconnection: *close/i.test(head);
  if (buf.length < end + 4 + length) return undefined;
  return { status, close, length: end + 4 + length };
}

export function startLoad(options: LoadOptions): RunningLoad {
  const outcome: LoadOutcome = { ok: 0, okClosing: 0, closing: 0, refusedOpen: 0, other: 0, reset: 0, refused: 0 };
  let stopping = false;
  const loops: Promise<void>[] = [];

  const oneConnection = (): Promise<'again' | 'end'> =>
    new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: options.port });
      let buf: Buffer = Buffer.alloc(0);
      let waiting = false;
      let settled = false;
      const finish = (next: 'again' | 'end') => {
        if (settled) return;
        settled = true;
        socket.destroy();
        resolve(next);
      };
      const send = () => {
        if (stopping) return finish('end');
        waiting = true;
        socket.write(options.request);
      };
      socket.on('connect', send);
      socket.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        const r = parseResponse(buf);
        if (!r) return;
        buf = buf.subarray(r.length);
        waiting = false;
        if (r.status >= 200 && r.status < 300) {
          outcome.ok++;
          if (r.close) outcome.okClosing++;
        }
        else if (r.status === 503) r.close ? outcome.closing++ : outcome.refusedOpen++;
        else outcome.other++;
        if (r.close) return finish(options.leaveOnClose ? 'end' : 'again');
        send();
      });
      socket.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ECONNREFUSED') {
          outcome.refused++;
          return finish('end');
        }
        if (waiting) outcome.reset++;
        waiting = false;
        finish('again');
      });
      socket.on('close', () => {
        if (waiting) outcome.reset++;
        waiting = false;
        finish('again');
      });
    });

  for (let i = 0; i < options.connections; i++) {
    loops.push(
      (async () => {
        while (!stopping) if ((await oneConnection()) === 'end') return;
      })(),
    );
  }
  const ended = Promise.all(loops).then(() => undefined);
  return {
    outcome,
    ended,
    stop: async () => {
      stopping = true;
      await ended;
    },
  };
}
