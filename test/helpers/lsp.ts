import { rmSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import WebSocket from 'ws';
import { createServer, type ConstellationServer } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { LspListener } from '../../server/lsp/listener.js';
import { loadLspSettings } from '../../server/lsp/settings.js';
import { baseEnv, tempDir } from './http.js';

/**
 * Language-server test support: a real server with `/lsp`, and a real LSP client built on
 * `vscode-jsonrpc` over a `ws` WebSocket wrapped in a Duplex exactly as the reference's VS Code
 * extension does it (the stream writer sends the header and the body as separate frames).
 */

export interface LspServer {
  readonly server: ConstellationServer;
  readonly listener: LspListener;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startLspServer(env: Record<string, string> = {}): Promise<LspServer> {
  const dataDir = tempDir('constellation-lsp-');
  const fullEnv = baseEnv(dataDir, { CONSTELLATION_LSP_DEBOUNCE: '5ms', ...env });
  const listener = new LspListener(loadLspSettings(fullEnv));
  const server = await createServer(loadConfig(fullEnv), { listeners: [listener] });
  return {
    server,
    listener,
    port: server.port,
    url: `ws://127.0.0.1:${server.port}/lsp`,
    close: async () => {
      await server.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface LspClient {
  readonly connection: MessageConnection;
  readonly socket: WebSocket;
  /** publishDiagnostics notifications received, by URI (latest last). */
  readonly diagnostics: Map<string, any[]>;
  readonly messages: { method: string; params: any }[];
  /** Resolves with the next publishDiagnostics for `uri` that satisfies `accept`. */
  nextDiagnostics(uri: string, accept?: (diagnostics: any[]) => boolean): Promise<any[]>;
  close(): Promise<void>;
}

/** The reference extension's transport: a Duplex over the socket, one frame per stream write. */
function socketStream(socket: WebSocket): Duplex {
  const stream = new Duplex({
    write(chunk: Buffer, _encoding, callback) {
      socket.send(chunk.toString(), (error) => callback(error ?? null));
    },
    read() {},
  });
  socket.on('message', (data) => stream.push(data.toString()));
  socket.on('close', () => stream.push(null));
  socket.on('error', (e) => stream.destroy(e));
  return stream;
}

export function openSocket(url: string, protocols?: string | string[], headers?: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, headers ? { headers } : {});
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

export async function connectClient(url: string, options: { protocols?: string | string[]; headers?: Record<string, string> } = {}): Promise<LspClient> {
  const socket = await openSocket(url, options.protocols, options.headers);
  const stream = socketStream(socket);
  const connection = createMessageConnection(new StreamMessageReader(stream), new StreamMessageWriter(stream));
  const diagnostics = new Map<string, any[]>();
  const messages: { method: string; params: any }[] = [];
  const waiters: { uri: string; accept: (d: any[]) => boolean; resolve: (d: any[]) => void }[] = [];
  connection.onNotification((method, params: any) => {
    messages.push({ method, params });
    if (method !== 'textDocument/publishDiagnostics') return;
    diagnostics.set(params.uri, params.diagnostics);
    for (const w of [...waiters]) {
      if (w.uri === params.uri && w.accept(params.diagnostics)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(params.diagnostics);
      }
    }
  });
  connection.listen();
  return {
    connection,
    socket,
    diagnostics,
    messages,
    nextDiagnostics: (uri, accept = () => true) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri}`)), 5000);
        waiters.push({ uri, accept, resolve: (d) => (clearTimeout(timer), resolve(d)) });
      }),
    close: async () => {
      connection.dispose();
      if (socket.readyState === WebSocket.OPEN) {
        const closed = new Promise((r) => socket.once('close', r));
        socket.close();
        await closed;
      }
    },
  };
}

export async function initialize(client: LspClient): Promise<any> {
  const result = await client.connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  await client.connection.sendNotification('initialized', {});
  return result;
}

export async function open(client: LspClient, uri: string, text: string, version = 1): Promise<void> {
  await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'constellation', version, text } });
}

/** Raw frames to and from the endpoint, for framing tests. */
export function frames(socket: WebSocket): { next(): Promise<string>; all: string[] } {
  const all: string[] = [];
  const waiting: ((s: string) => void)[] = [];
  socket.on('message', (data) => {
    const text = data.toString();
    const w = waiting.shift();
    if (w) w(text);
    else all.push(text);
  });
  return {
    all,
    next: () =>
      new Promise((resolve, reject) => {
        const queued = all.shift();
        if (queued !== undefined) return resolve(queued);
        const timer = setTimeout(() => reject(new Error('no frame')), 5000);
        waiting.push((s) => (clearTimeout(timer), resolve(s)));
      }),
  };
}

/** The JSON body of a server frame, checking its Content-Length counts bytes. */
export function body(frame: string): any {
  const m = /^Content-Length: (\d+)\r\n\r\n/.exec(frame);
  if (!m) throw new Error(`not a framed message: ${frame.slice(0, 80)}`);
  const json = frame.slice(m[0].length);
  if (Buffer.byteLength(json) !== Number(m[1])) throw new Error(`Content-Length ${m[1]} but ${Buffer.byteLength(json)} bytes`);
  return JSON.parse(json);
}

/** Polls until `predicate` holds (at most `ms`). */
export async function waitFor(predicate: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
