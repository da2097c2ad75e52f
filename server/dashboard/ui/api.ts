/**
 * The page's HTTP and WebSocket client. With API keys on, every `/api/v1` and core call carries
 * `Authorization: Bearer <key>`; a WebSocket offers the key as a subprotocol (browsers cannot
 * set headers on one), or as `?token=` when the key is not a valid protocol token. The key lives
 * in session storage (gone with the tab), or local storage when the user asks to remember it.
 * A 401 asks for the key again.
 */

const KEY_STORAGE = 'constellation.apiKey';

export class ApiError extends Error {
  constructor(readonly status: number, readonly body: unknown, message: string) {
    super(message);
  }
}

type KeyPrompt = (reason: string) => Promise<string | null>;

let keyPrompt: KeyPrompt = async () => null;
let keyWaiter: Promise<string | null> | undefined;

export function setKeyPrompt(prompt: KeyPrompt): void {
  keyPrompt = prompt;
}

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE) ?? localStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null, remember: boolean): void {
  sessionStorage.removeItem(KEY_STORAGE);
  localStorage.removeItem(KEY_STORAGE);
  if (key) (remember ? localStorage : sessionStorage).setItem(KEY_STORAGE, key);
}

function errorMessage(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { message?: unknown; error?: unknown; errors?: unknown };
    if (typeof b.message === 'string') return b.message;
    if (Array.isArray(b.errors) && b.errors.length > 0) return b.errors.join('; ');
    if (typeof b.error === 'string') return b.error;
  }
  return `HTTP ${status}`;
}

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
}

/** A JSON call; answers with status and body for every HTTP status, throws ApiError only after a refused key. */
export async function call<T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = { accept: 'application/json' };
    const key = apiKey();
    if (key) headers['authorization'] = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    if (res.status === 401 && attempt < 3) {
      keyWaiter ??= keyPrompt(key ? 'The server refused this API key.' : 'This server requires an API key.').finally(() => (keyWaiter = undefined));
      if ((await keyWaiter) === null) throw new ApiError(401, parsed, errorMessage(401, parsed));
      continue;
    }
    return { status: res.status, body: parsed as T };
  }
}

/** A call that must succeed (2xx); otherwise throws ApiError with the server's message. */
export async function get<T = any>(path: string): Promise<T> {
  return expectOk(await call<T>('GET', path));
}

export async function post<T = any>(path: string, body: unknown = {}): Promise<T> {
  return expectOk(await call<T>('POST', path, body));
}

export async function del<T = any>(path: string): Promise<T> {
  return expectOk(await call<T>('DELETE', path));
}

function expectOk<T>(r: ApiResponse<T>): T {
  if (r.status >= 200 && r.status < 300) return r.body;
  throw new ApiError(r.status, r.body, errorMessage(r.status, r.body));
}

export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Opens a same-origin WebSocket with the key attached. */
export function openSocket(path: string, protocols: readonly string[] = []): WebSocket {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const key = apiKey();
  const offered = [...protocols];
  if (key) {
    if (TOKEN.test(key)) offered.push(key);
    else url.searchParams.set('token', key);
  }
  return offered.length > 0 ? new WebSocket(url, offered) : new WebSocket(url);
}
