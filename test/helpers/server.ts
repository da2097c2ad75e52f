import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type ConstellationServer, type ServerOptions } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';

/**
 * The one test-server helper: a real server in this process (uWS + worker pool) on an ephemeral
 * port on 127.0.0.1, its own temporary data directory, one worker thread, silent logs. Requests
 * go over real HTTP with `fetch` (helpers/http.ts has node:http and raw-socket requests, and the
 * real server process).
 */

export interface Reply<T = any> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
  readonly headers: Headers;
}

export interface TestServer {
  readonly server: ConstellationServer;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly base: string;
  readonly dataDir: string;
  /** `body` is sent as JSON unless it is a string (sent as is). */
  request<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  get<T = any>(path: string): Promise<Reply<T>>;
  post<T = any>(path: string, body?: unknown): Promise<Reply<T>>;
  put<T = any>(path: string, body?: unknown): Promise<Reply<T>>;
  del<T = any>(path: string): Promise<Reply<T>>;
  /** Shuts the server down; removes the data directory unless `keepData` (or one was given). */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export interface StartOptions {
  /** Reuse a data directory (restart tests); default: a fresh temporary one. */
  readonly dataDir?: string;
  /** Extra CONSTELLATION_* variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** createServer's options: logger, listeners, backends, readiness checks. */
  readonly server?: ServerOptions;
}

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'constellation-http-')));
  const config = loadConfig({
    CONSTELLATION_PORT: '0',
    CONSTELLATION_HOST: '127.0.0.1',
    CONSTELLATION_DATA_DIR: dataDir,
    CONSTELLATION_LOG_LEVEL: 'silent',
    CONSTELLATION_WORKERS: '1',
    ...options.env,
  });
  let server: ConstellationServer;
  try {
    server = await createServer(config, options.server);
  } catch (e) {
    if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const base = `http://127.0.0.1:${server.port}`;
  const request = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      if (typeof body !== 'string') (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(base + path, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T, text, headers: res.headers };
  };
  let closed = false;
  return {
    server,
    port: server.port,
    url: base,
    base,
    dataDir,
    request,
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
    put: (path, body) => request('PUT', path, body),
    del: (path) => request('DELETE', path),
    close: async (opts = {}) => {
      if (closed) return;
      closed = true;
      await server.shutdown();
      if (!opts.keepData && options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Compiles `source` (optionally under `name`) and returns the structural hash; fails loudly. */
export async function compile(s: TestServer, source: string, name?: string): Promise<string> {
  const r = await s.post('/compile', name === undefined ? { source } : { source, name });
  if (r.status !== 200) throw new Error(`compile failed (${r.status}): ${r.text}`);
  return r.body.structuralHash as string;
}
