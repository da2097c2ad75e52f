import type { Role } from '../config.js';

/**
 * What a route handler sees and returns. Handlers never touch uWebSockets.js objects: the
 * adapter (uws-adapter.ts) copies what is needed out of the stack-allocated uWS request before
 * any await, and writes the returned reply. That keeps routes plain, testable functions.
 */

export interface HttpRequest {
  readonly method: string;
  /** Path without the query string, percent-decoding left to the router (per segment). */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly remoteAddress: string;
  readonly requestId: string;
  /** Path parameters of the matched route (decoded). */
  params: Record<string, string>;
  /** Role of the API key that authenticated the request (when auth is on). */
  role: Role | undefined;
  /** Reads the body (bounded by the configured limit); `null` when there is none. */
  body(): Promise<Buffer | null>;
  /**
   * The body if it has been read already (`null`: there is none), else undefined. The HTTP front
   * reads a whole body before a handler that may change something starts, so such handlers can
   * take it without a promise hop; `body()` works everywhere.
   */
  readonly bodyNow?: Buffer | null;
  /** The client went away before the answer: nothing it is sent will arrive. */
  readonly aborted: boolean;
  /**
   * Calls `listener` once if the client disconnects before the answer (never after it): work
   * done only for this answer should stop then (an execution is cancelled).
   */
  onAbort(listener: () => void): void;
}

export interface HttpReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Default: JSON (the body is serialised). With `raw`, the body is sent as the string or bytes it is. */
  readonly contentType?: string;
  readonly raw?: boolean;
}

export type Handler = (req: HttpRequest) => HttpReply | Promise<HttpReply>;

export function json(status: number, body: unknown, headers?: Record<string, string>): HttpReply {
  return headers ? { status, body, headers } : { status, body };
}

export function text(status: number, body: string, contentType = 'text/plain; charset=utf-8', headers?: Record<string, string>): HttpReply {
  return { status, body, contentType, raw: true, ...(headers ? { headers } : {}) };
}
