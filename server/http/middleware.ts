import type { HttpReply, HttpRequest } from './types.js';

/**
 * The middleware chain every request passes before its route — and every WebSocket upgrade
 * before it is accepted: CORS (preflights), rate limit, auth, in that order. One chain object
 * is built at start-up and shared by the HTTP front and the WebSocket routes, so a socket
 * cannot be opened past a check that a request would fail.
 */

export interface Middleware {
  /** May answer the request itself (preflight, 401, 429, …). */
  before?(req: HttpRequest): HttpReply | undefined;
  /** Adds headers to every response of a request (CORS). */
  headers?(req: HttpRequest, out: Record<string, string>): void;
}

export class MiddlewareChain {
  private readonly gates: readonly Middleware[];
  private readonly decorators: readonly Middleware[];

  constructor(middleware: readonly Middleware[]) {
    this.gates = middleware.filter((m) => m.before);
    this.decorators = middleware.filter((m) => m.headers);
  }

  /** The first refusal of the chain, or `undefined` when the request may go on. */
  admit(req: HttpRequest): HttpReply | undefined {
    for (const m of this.gates) {
      const early = m.before!(req);
      if (early) return early;
    }
    return undefined;
  }

  /** Response headers the chain adds to every answer of `req`. */
  responseHeaders(req: HttpRequest, out: Record<string, string>): void {
    for (const m of this.decorators) m.headers!(req, out);
  }
}
