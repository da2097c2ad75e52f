import { spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger, type Logger } from '../../server/logger.js';

/**
 * Helpers of the cross-cutting server tests (test/server/): the real `node dist/server/main.js`
 * process, raw HTTP through node:http or a bare socket (for what fetch refuses to send), keys
 * and log capture. The in-process server is helpers/server.ts; the PRNG helpers/prng.ts; the
 * route table helpers/routes.ts. Paths are of the compiled files (dist/test/helpers/…).
 */

export const MAIN_JS = fileURLToPath(new URL('../../server/main.js', import.meta.url));
export const FAULTS_JS = fileURLToPath(new URL('../fixtures/modules/faults.js', import.meta.url));

/** Three valid keys (≥ 24 characters), one per role. */
export const KEYS = {
  admin: 'admin-key-0123456789abcdefghij',
  execute: 'execute-key-0123456789abcdefgh',
  readonly: 'readonly-key-0123456789abcdefg',
} as const;
export const API_KEYS_ENV = `${KEYS.admin}:Admin,${KEYS.execute}:Execute,${KEYS.readonly}:ReadOnly`;

export function tempDir(prefix = 'constellation-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The environment every test server starts from: loopback, any free port, a fresh data dir, quiet. */
export function baseEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CONSTELLATION_PORT: '0',
    CONSTELLATION_HOST: '127.0.0.1',
    CONSTELLATION_DATA_DIR: dataDir,
    CONSTELLATION_LOG_LEVEL: 'silent',
    CONSTELLATION_WORKERS: '2',
    ...extra,
  };
}

/** Collects pino JSON lines in memory. */
export class LogCapture {
  readonly chunks: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer | string, _enc, cb) => {
      this.chunks.push(chunk.toString());
      cb();
    },
  });
  logger(level = 'trace'): Logger {
    return createLogger({ level, format: 'json', destination: this.stream });
  }
  get text(): string {
    return this.chunks.join('');
  }
  get lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  /** The parsed body, or `undefined` when it is not JSON. */
  readonly json: any;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** A string or object body (objects are JSON-encoded); a Buffer is sent as is. */
  readonly body?: unknown;
  /** Send the body chunked (no Content-Length). */
  readonly chunked?: boolean;
  readonly timeoutMs?: number;
  /** Local address to connect from (any 127.x.y.z works on Linux loopback). */
  readonly localAddress?: string;
}

const agent = new http.Agent({ keepAlive: false });

/** One request through node:http (any method, any header value node accepts). */
export function request(port: number, path: string, options: RequestOptions = {}): Promise<Reply> {
  const { method = 'GET', headers = {}, body, chunked = false, timeoutMs = 20_000 } = options;
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const h: Record<string, string> = { ...headers };
  if (payload && !chunked && h['content-length'] === undefined) h['content-length'] = String(payload.length);
  // node frames DELETE/OPTIONS bodies as chunked only when asked to
  if (payload && chunked) h['transfer-encoding'] = 'chunked';
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method, headers: h, agent, ...(options.localAddress ? { localAddress: options.localAddress } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parseJson(text) });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no reply within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload && chunked) {
      // several writes so the body really arrives in chunks
      const step = Math.max(1, Math.ceil(payload.length / 4));
      for (let i = 0; i < payload.length; i += step) req.write(payload.subarray(i, i + step));
      req.end();
    } else req.end(payload);
  });
}

export interface RawReply {
  readonly status: number;
  readonly head: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly json: any;
}

/**
 * Writes raw bytes to a fresh socket and reads until the server closes it or the reply is
 * complete (Content-Length). For requests node:http will not produce: odd methods, bytes in
 * header values, broken framing. Resolves `undefined` when the server closes without a reply.
 */
export function rawRequest(port: number, data: Buffer | string, timeoutMs = 10_000): Promise<RawReply | undefined> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRaw(Buffer.concat(chunks)));
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(new Error(`raw request: no complete reply within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300))}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const r = parseRaw(Buffer.concat(chunks));
      if (r && r.complete) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // a reset after (or instead of) a reply: report what arrived
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') finish();
      else if (!done) {
        done = true;
        clearTimeout(timer);
        reject(e);
      }
    });
    socket.write(data);
  });
}

function parseRaw(buf: Buffer): (RawReply & { complete: boolean }) | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = buf.subarray(0, end).toString('latin1');
  const [statusLine, ...lines] = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const bodyBuf = buf.subarray(end + 4);
  const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  const complete = length !== undefined && bodyBuf.length >= length;
  const body = (length !== undefined ? bodyBuf.subarray(0, length) : bodyBuf).toString('utf8');
  return { status: Number(m[1]), head, headers, body, json: parseJson(body), complete };
}

export interface SpawnedServer {
  readonly child: ChildProcess;
  readonly port: number;
  readonly base: string;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

/** The CONSTELLATION_* variables of this process are dropped so a developer's shell cannot leak in. */
function childEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('CONSTELLATION_')) out[k] = v;
  return { ...out, ...env };
}

/** Runs `node dist/server/main.js` to completion (for start-up failures). */
export function runMain(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN_JS], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`main.js did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Another way to start the server process (the image's entry point, from its working directory). */
export interface SpawnOptions {
  /** `node` and its arguments; default: dist/server/main.js of this checkout. */
  readonly args?: readonly string[];
  readonly cwd?: string;
}

/**
 * Starts the real server process with JSON logs at info level and reads the bound port from
 * its "listening" line (so CONSTELLATION_PORT=0 works).
 */
export function spawnServer(env: Record<string, string>, timeoutMs = 20_000, options: SpawnOptions = {}): Promise<SpawnedServer> {
  const child = spawn(process.execPath, options.args ?? [MAIN_JS], {
    env: childEnv({ CONSTELLATION_LOG_LEVEL: 'info', CONSTELLATION_LOG_FORMAT: 'json', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let out = '';
  let err = '';
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not report listening within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, timeoutMs);
    const done = (port: number) => {
      clearTimeout(timer);
      resolve({ child, port, base: `http://127.0.0.1:${port}`, stdout: () => out, stderr: () => err, exited });
    };
    let found = false;
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (found) return;
      for (const line of out.split('\n')) {
        if (!line.includes('listening')) continue;
        try {
          const o = JSON.parse(line) as { port?: number };
          if (typeof o.port === 'number') {
            found = true;
            done(o.port);
            return;
          }
        } catch {
          // a partial line: wait for the rest
        }
      }
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    void exited.then((code) => {
      if (found) return;
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

/**
 * Real server processes on one fresh data directory, one after another (restart and store
 * tests): started with info logs and one worker, stopped with SIGTERM (`stop` asserts a clean
 * exit). Call it inside a `describe`: the processes and the directory go after the suite.
 */
export function serverProcesses() {
  const dataDir = tempDir();
  const spawned: SpawnedServer[] = [];
  after(() => {
    for (const s of spawned) s.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir,
    async start(extra: Record<string, string> = {}): Promise<SpawnedServer> {
      const s = await spawnServer(baseEnv(dataDir, { CONSTELLATION_WORKERS: '1', CONSTELLATION_LOG_LEVEL: 'info', ...extra }));
      spawned.push(s);
      return s;
    },
    async stop(s: SpawnedServer): Promise<void> {
      s.child.kill('SIGTERM');
      assert.equal(await s.exited, 0, s.stderr());
    },
  };
}

/** POST with a JSON body through node:http. */
export const post = (s: { port: number }, path: string, body: unknown): Promise<Reply> => request(s.port, path, { method: 'POST', body });

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves `value` after `ms` without keeping the process alive (for Promise.race deadlines). */
export const deadline = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms).unref());
