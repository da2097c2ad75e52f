import type { z } from 'zod';
import type { Connection } from './config.js';
import { CliError, EXIT, exitCodeForStatus } from './exit.js';
import type { Output } from './output.js';

/**
 * The client's HTTP calls: 60 s timeout, Bearer key when one is set,
 * JSON bodies. An unreachable server is exit 3; a non-success status maps to its exit code with
 * the text of the reply's `message`, else `error`, else the raw body; a reply that does not parse
 * or does not have the expected shape is exit 2.
 */

export const REQUEST_TIMEOUT_MS = 60_000;

export interface HttpResult {
  readonly status: number;
  /** The parsed JSON body, or `undefined` when the body is not JSON. */
  readonly body: unknown;
  readonly text: string;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly accept?: string;
}

/** The base URL with `path` appended (keeps a path prefix such as `/constellation`). */
export function endpoint(base: URL, path: string): URL {
  const url = new URL(base.href);
  url.pathname = url.pathname.replace(/\/+$/, '') + path;
  return url;
}

function connectionFailure(url: URL, e: unknown): CliError {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return new CliError(EXIT.CONNECTION_ERROR, `no response from ${url.origin} within ${REQUEST_TIMEOUT_MS / 1000} s`);
  }
  const detail = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
  return new CliError(EXIT.CONNECTION_ERROR, `cannot connect to ${url.origin}: ${detail}`);
}

export async function request(conn: Connection, out: Output, method: string, path: string, options: RequestOptions = {}): Promise<HttpResult> {
  const url = endpoint(conn.baseUrl, path);
  const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
  if (conn.token) headers.authorization = `Bearer ${conn.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  out.debug(`→ ${method} ${url.href}`);
  let text: string;
  let status: number;
  try {
    const res = await fetch(url, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    status = res.status;
    text = await res.text();
  } catch (e) {
    throw connectionFailure(url, e);
  }
  out.debug(`← ${status} (${text.length} bytes)`);
  let body: unknown;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status, body, text };
}

/** The error text of a reply: `message`, else `error`, else the raw body. */
export function errorText(res: HttpResult): string {
  const b = res.body as { message?: unknown; error?: unknown } | undefined;
  if (b && typeof b === 'object') {
    if (typeof b.message === 'string' && b.message) return b.message;
    if (typeof b.error === 'string' && b.error) return b.error;
  }
  const raw = res.text.trim();
  return raw.length > 0 ? raw.slice(0, 2000) : `HTTP ${res.status}`;
}

/** Throws the CLI error (with its exit code) for a reply whose status is not 2xx. */
export function failUnlessOk(res: HttpResult): void {
  if (res.status >= 200 && res.status < 300) return;
  throw new CliError(exitCodeForStatus(res.status), `server replied ${res.status}: ${errorText(res)}`, { status: res.status });
}

/** Validates a reply body against the shape the client relies on (exit 2 when it does not match). */
export function expectShape<T extends z.ZodType>(res: HttpResult, schema: T, what: string): z.output<T> {
  if (res.body === undefined) throw new CliError(EXIT.RUNTIME_ERROR, `unparsable ${what} reply from the server (HTTP ${res.status}): not JSON`);
  const parsed = schema.safeParse(res.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(EXIT.RUNTIME_ERROR, `unexpected ${what} reply from the server (HTTP ${res.status}): ${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}

/** A successful reply of the expected shape. */
export async function getJson<T extends z.ZodType>(conn: Connection, out: Output, path: string, schema: T, what: string): Promise<z.output<T>> {
  const res = await request(conn, out, 'GET', path);
  failUnlessOk(res);
  return expectShape(res, schema, what);
}
