import { openSocket } from './api.js';

/**
 * A small Language Server Protocol client over the server's `/lsp` WebSocket: initialize, full
 * document sync, published diagnostics, completion and hover. It sends one bare JSON-RPC
 * message per frame (the server accepts that) and reads the server's frames, which carry the
 * LSP `Content-Length` header before the JSON (a message split over frames is reassembled).
 * It offers the `lsp` subprotocol, which the server echoes; with API keys on, the key goes along
 * as a second protocol value or as `?token=` (api.ts, `openSocket`), so the server never has to
 * echo the key itself.
 *
 * Optional by design: `connect()` resolves false when the server has no `/lsp` (or refuses it);
 * the page then takes its diagnostics from the preview route.
 */

export type LspRange = { readonly start: { line: number; character: number }; readonly end: { line: number; character: number } };

export interface LspDiagnostic {
  readonly range: LspRange;
  readonly severity?: number;
  readonly code?: string | number;
  readonly message: string;
}

export interface LspCompletionItem {
  readonly label: string;
  readonly detail?: string | null;
  readonly insertText?: string | null;
  /** A TextEdit (`range`) or an InsertReplaceEdit (`replace`): the text the item replaces. */
  readonly textEdit?: { readonly newText: string; readonly range?: LspRange; readonly replace?: LspRange } | null;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

const REQUEST_TIMEOUT_MS = 5000;
/** The page connects in the background (it works on the preview meanwhile), so a slow server may take its time. */
const CONNECT_TIMEOUT_MS = 10_000;

export class LspClient {
  private socket: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer = '';
  /** What the server holds of each open document. */
  private readonly documents = new Map<string, { version: number; text: string }>();
  connected = false;
  onDiagnostics: (uri: string, diagnostics: readonly LspDiagnostic[]) => void = () => {};
  onClose: () => void = () => {};

  async connect(): Promise<boolean> {
    let socket: WebSocket;
    try {
      socket = openSocket('/lsp', ['lsp']);
    } catch {
      return false;
    }
    this.socket = socket;
    const opened = await new Promise<boolean>((resolve) => {
      const timer = window.setTimeout(() => resolve(false), CONNECT_TIMEOUT_MS);
      socket.addEventListener('open', () => (window.clearTimeout(timer), resolve(true)), { once: true });
      socket.addEventListener('error', () => (window.clearTimeout(timer), resolve(false)), { once: true });
      socket.addEventListener('close', () => (window.clearTimeout(timer), resolve(false)), { once: true });
    });
    if (!opened) {
      socket.close();
      return false;
    }
    socket.addEventListener('message', (e) => this.receive(typeof e.data === 'string' ? e.data : ''));
    socket.addEventListener('close', () => {
      this.connected = false;
      for (const p of this.pending.values()) p.reject(new Error('language server connection closed'));
      this.pending.clear();
      this.onClose();
    });
    try {
      await this.request('initialize', { processId: null, rootUri: null, capabilities: {} });
      this.notify('initialized', {});
      this.connected = true;
    } catch {
      socket.close();
      return false;
    }
    return true;
  }

  open(uri: string, text: string): void {
    this.documents.set(uri, { version: 1, text });
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'constellation', version: 1, text } });
  }

  /** Sends the document's text unless the server has it already (so a request can sync first at no cost). */
  change(uri: string, text: string): void {
    const doc = this.documents.get(uri);
    if (!doc || doc.text === text) return;
    doc.version++;
    doc.text = text;
    this.notify('textDocument/didChange', { textDocument: { uri, version: doc.version }, contentChanges: [{ text }] });
  }

  close(uri: string): void {
    this.documents.delete(uri);
    this.notify('textDocument/didClose', { textDocument: { uri } });
  }

  async completion(uri: string, position: { line: number; character: number }): Promise<LspCompletionItem[]> {
    const result = (await this.request('textDocument/completion', { textDocument: { uri }, position })) as { items?: LspCompletionItem[] } | LspCompletionItem[] | null;
    if (!result) return [];
    return Array.isArray(result) ? result : (result.items ?? []);
  }

  async hover(uri: string, position: { line: number; character: number }): Promise<string | null> {
    const result = (await this.request('textDocument/hover', { textDocument: { uri }, position })) as { contents?: unknown } | null;
    const contents = result?.contents;
    if (!contents) return null;
    if (typeof contents === 'string') return contents;
    if (Array.isArray(contents)) return contents.map((c) => (typeof c === 'string' ? c : String((c as { value?: unknown }).value ?? ''))).join('\n\n');
    return String((contents as { value?: unknown }).value ?? '');
  }

  dispose(): void {
    this.socket?.close();
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ jsonrpc: '2.0', ...message }));
  }

  private notify(method: string, params: unknown): void {
    this.send({ method, params });
  }

  private request(method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = window.setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (v) => (window.clearTimeout(timer), resolve(v)),
        reject: (e) => (window.clearTimeout(timer), reject(e)),
      });
      this.send({ id, method, params });
    });
  }

  /** Appends a frame and handles every complete message in the buffer. */
  private receive(frame: string): void {
    this.buffer += frame;
    for (;;) {
      let body: string;
      if (/^\s*Content-Length:/i.test(this.buffer)) {
        const sep = this.buffer.indexOf('\r\n\r\n');
        if (sep < 0) return;
        const length = Number(/Content-Length:\s*(\d+)/i.exec(this.buffer.slice(0, sep))?.[1]);
        const rest = this.buffer.slice(sep + 4);
        const bytes = new TextEncoder().encode(rest);
        if (!Number.isFinite(length) || bytes.length < length) return;
        body = new TextDecoder().decode(bytes.slice(0, length));
        this.buffer = new TextDecoder().decode(bytes.slice(length));
      } else {
        const trimmed = this.buffer.trim();
        if (trimmed.length === 0) {
          this.buffer = '';
          return;
        }
        if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) return;
        body = trimmed;
        this.buffer = '';
      }
      this.dispatch(body);
    }
  }

  private dispatch(body: string): void {
    let msg: { id?: number; method?: string; params?: unknown; result?: unknown; error?: { message?: string } };
    try {
      msg = JSON.parse(body);
    } catch {
      return;
    }
    if (msg.method === 'textDocument/publishDiagnostics') {
      const p = msg.params as { uri: string; diagnostics: LspDiagnostic[] };
      this.onDiagnostics(p.uri, p.diagnostics ?? []);
      return;
    }
    if (typeof msg.id === 'number' && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id)!;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error.message ?? 'language server error'));
      else p.resolve(msg.result);
    }
  }
}
