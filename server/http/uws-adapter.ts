import uWS from 'uWebSockets.js';
import { randomUuid } from '../../runtime/random-uuid.js';
import { AfterRead } from './after-read.js';
import { readBody } from './body-reader.js';
import { framingProblem } from './framing.js';
import type { MiddlewareChain } from './middleware.js';
import { errorReply, sharedStateReply } from './error-reply.js';
import type { Router } from './router.js';
import type { HttpReply, HttpRequest } from './types.js';

/**
 * The HTTP front on uWebSockets.js. One catch-all handler copies what routes need out of the
 * uWS request (it is only valid until the first await), runs the middleware chain and the
 * route, and writes the reply inside `cork` (one syscall per response).
 *
 * Edges handled here, for every route: ambiguous framing (repeated or non-numeric
 * Content-Length, a Transfer-Encoding other than chunked) → 400 and close, and nothing runs;
 * bodies over the limit → 413, delivered after the rest of the body was read and discarded
 * (body-reader.ts); unknown path → 404 JSON; known path, wrong method → 405; a handler that
 * throws → 500 JSON with the request id (never a crash); `X-Request-ID` echoed or generated on
 * every response; `Connection: close` on every answer while the server drains, so keep-alive
 * clients reconnect elsewhere instead of sending into a closing socket.
 *
 * Requests that may change something (every method but GET, HEAD and OPTIONS) start only once
 * their whole body is in and the read that carried it has been parsed (after-read.ts): a request
 * whose connection is dropped by then — uWS drops it when a pipelined request follows one that
 * awaits an asynchronous answer — is never performed. GET, HEAD and OPTIONS start at once, so
 * pipelined reads are answered in order as before. A client that disconnects before its answer
 * fires the request's `onAbort` listeners (the execution routes cancel their execution).
 */

export interface AdapterOptions {
  readonly router: Router;
  readonly middleware: MiddlewareChain;
  readonly maxBodyBytes: number;
  /** Bytes of an over-limit body discarded before its 413 is sent anyway. Default: 4 × maxBodyBytes. */
  readonly lingerBytes?: number;
  /** Longest time spent discarding an over-limit body. Default 10 s. */
  readonly lingerMs?: number;
  readonly trustProxy: boolean;
  /** True while the server drains: answers then close their connection. */
  readonly draining?: () => boolean;
  /** A promise requests wait for before they run (while the server closes its port), else undefined. */
  readonly held?: () => Promise<void> | undefined;
  /** Called once per finished response (metrics, access log). */
  readonly onResponse?: (req: HttpRequest, status: number, durationMs: number, route: string) => void;
  /** Called for a handler crash (logged with the request id). */
  readonly onError?: (req: HttpRequest, error: unknown) => void;
  /** Counts requests in flight (for the drain). */
  readonly inflight?: { inc(): void; dec(): void };
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK', 201: '201 Created', 202: '202 Accepted', 204: '204 No Content', 304: '304 Not Modified', 400: '400 Bad Request', 401: '401 Unauthorized',
  403: '403 Forbidden', 404: '404 Not Found', 405: '405 Method Not Allowed', 408: '408 Request Timeout',
  409: '409 Conflict', 413: '413 Payload Too Large', 415: '415 Unsupported Media Type', 422: '422 Unprocessable Entity',
  429: '429 Too Many Requests', 500: '500 Internal Server Error', 503: '503 Service Unavailable', 507: '507 Insufficient Storage',
};

function statusLine(status: number): string {
  return STATUS_TEXT[status] ?? `${status} Status`;
}

const REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/** Thrown by nothing any more (the adapter answers 413 itself); kept for callers that test for it. */
class PayloadTooLarge extends Error {}

const NO_BODY = Promise.resolve(null);

/**
 * The request a handler sees. A class, not an object literal: a literal with a getter (the lazy
 * `query`) puts every request object in V8's slow mode, which cost a third of the front's
 * throughput (58k → 81k req/s on a trivial route when fixed).
 */
export class UwsRequest implements HttpRequest {
  params: Record<string, string> = {};
  role: HttpRequest['role'] = undefined;
  /** Set with `bodyRead` once the body is in (handlers take it without a promise). */
  bodyNow: Buffer | null | undefined = undefined;
  private parsedQuery: URLSearchParams | undefined;
  private remote: string | undefined;
  private live = true;
  private gone = false;
  private abortListeners: (() => void)[] | undefined;

  constructor(
    readonly method: string,
    readonly path: string,
    private readonly queryText: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly requestId: string,
    /** Set by the adapter once the body has been read. */
    public bodyRead: Promise<Buffer | null> = NO_BODY,
    private readonly res: uWS.HttpResponse,
    forwarded: string | undefined,
  ) {
    this.remote = forwarded;
  }

  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.queryText));
  }

  /** Read from uWS on first use (only rate limiting needs it), while the response is alive. */
  get remoteAddress(): string {
    if (this.remote === undefined) this.remote = this.live ? Buffer.from(this.res.getRemoteAddressAsText()).toString() : '';
    return this.remote;
  }

  get aborted(): boolean {
    return this.gone;
  }

  onAbort(listener: () => void): void {
    if (this.gone) queueMicrotask(listener);
    else if (this.live) (this.abortListeners ??= []).push(listener);
  }

  /** The uWS response is answered or gone: it must not be touched any more. */
  seal(): void {
    if (this.live && this.remote === undefined) this.remote = '';
    this.live = false;
    this.abortListeners = undefined;
  }

  /** The client disconnected before the answer. */
  abort(): void {
    const listeners = this.live ? this.abortListeners : undefined;
    this.gone = true;
    this.seal();
    if (listeners) for (const listener of listeners) listener();
  }

  body(): Promise<Buffer | null> {
    return this.bodyRead;
  }
}

/** What routes need of a uWS request, copied out before the first await (uWS reuses it). */
export interface RequestHead {
  readonly method: string;
  readonly url: string;
  readonly queryText: string;
  /** Lower-case names; repeated headers joined with `, `. */
  readonly headers: Record<string, string>;
  /** The client address from `X-Forwarded-For` when the proxy is trusted. */
  readonly forwarded: string | undefined;
  /** `X-Request-ID` when it is sane, else a fresh UUID. */
  readonly requestId: string;
}

/** The common methods as constant strings: no upper-casing (an ICU call) and no hashing per request. */
function canonicalMethod(sent: string): string {
  switch (sent) {
    case 'POST': return 'POST';
    case 'GET': return 'GET';
    default: return sent.toUpperCase();
  }
}

export function readRequestHead(uwsReq: uWS.HttpRequest, trustProxy: boolean): RequestHead {
  const method = canonicalMethod(uwsReq.getCaseSensitiveMethod());
  const url = uwsReq.getUrl();
  const queryText = uwsReq.getQuery() ?? '';
  const headers: Record<string, string> = {};
  uwsReq.forEach((k, v) => {
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  });
  const forwarded = trustProxy ? headers['x-forwarded-for']?.split(',')[0]!.trim() : undefined;
  const incomingId = headers['x-request-id'];
  const requestId = incomingId && REQUEST_ID.test(incomingId) ? incomingId : randomUuid();
  return { method, url, queryText, headers, forwarded, requestId };
}

/**
 * Writes a whole reply in one `cork` (one syscall); with `close`, the connection closes after it
 * (uWS writes `Connection: close` itself). Call only while the response is alive.
 */
export function writeReply(res: uWS.HttpResponse, method: string, requestId: string, reply: HttpReply, extra: Record<string, string>, close = false): void {
  let payload: string | Uint8Array = '';
  let contentType: string;
  if (method === 'HEAD') {
    contentType = reply.contentType ?? 'application/json'; // no body to serialise
  } else if (reply.raw) {
    // bytes (a precompressed asset) go out as they are
    payload = reply.body instanceof Uint8Array ? reply.body : String(reply.body);
    contentType = reply.contentType ?? 'text/plain; charset=utf-8';
  } else {
    try {
      payload = JSON.stringify(reply.body);
    } catch (e) {
      payload = JSON.stringify(errorReply('InternalError', `Response could not be serialised: ${e instanceof Error ? e.message : String(e)}`, requestId).body);
    }
    contentType = reply.contentType ?? 'application/json';
  }
  res.cork(() => {
    res.writeStatus(statusLine(reply.status));
    res.writeHeader('content-type', contentType);
    res.writeHeader('x-request-id', requestId);
    for (const k in extra) res.writeHeader(k, extra[k]!);
    if (reply.headers) for (const k in reply.headers) res.writeHeader(k, reply.headers[k]!);
    // a HEAD answer carries the GET answer's headers but never its body (a body would be
    // read as the start of the next response on a kept-alive connection); no arguments:
    // with a reported length uWS drops the connection when requests are pipelined
    // (a 304 has no body either: the cached copy is the body)
    if (method === 'HEAD' || reply.status === 304) {
      if (close) res.writeHeader('connection', 'close');
      res.endWithoutBody();
    } else res.end(payload, close);
  });
}

/** Methods that change nothing (RFC 9110 §9.2.1): started at once, pipelined in order. */
function isSafe(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

export function attachHttp(app: uWS.TemplatedApp, options: AdapterOptions): void {
  const { router, middleware, maxBodyBytes } = options;
  const limits = { maxBytes: maxBodyBytes, lingerBytes: options.lingerBytes ?? 4 * maxBodyBytes, lingerMs: options.lingerMs ?? 10_000 };
  const afterRead = new AfterRead();

  app.any('/*', (res, uwsReq) => {
    const started = performance.now();
    const { method, url, queryText, headers, forwarded, requestId } = readRequestHead(uwsReq, options.trustProxy);
    const req = new UwsRequest(method, url, queryText, headers, requestId, NO_BODY, res, forwarded);

    let finished = false;
    res.onAborted(() => {
      req.abort();
      if (!finished) {
        finished = true;
        options.inflight?.dec();
      }
    });
    options.inflight?.inc();

    const send = (reply: HttpReply, route: string, close = false): void => {
      if (finished) return;
      req.seal();
      finished = true;
      options.inflight?.dec();
      if (req.aborted) return;
      const extra: Record<string, string> = {};
      middleware.responseHeaders(req, extra);
      writeReply(res, method, requestId, reply, extra, close || (options.draining !== undefined && options.draining()));
      options.onResponse?.(req, reply.status, performance.now() - started, route);
    };

    const fail = (e: unknown, route: string): void => {
      // a shared store out of reach is not a server error: 503, whichever route met it
      const shared = sharedStateReply(e, requestId);
      if (shared) {
        send(shared, route);
        return;
      }
      options.onError?.(req, e);
      send(errorReply('InternalError', `Unexpected error: ${e instanceof Error ? e.message : String(e)}`, requestId), route);
    };

    const problem = framingProblem(headers['content-length'], headers['transfer-encoding']);
    if (problem !== undefined) {
      // answered after the read: answered now, uWS would drop our close and parse the bytes
      // behind this request as a request of its own; pending, a request behind it makes uWS
      // close the connection before that request runs (then no 400 arrives, and nothing ran)
      afterRead.run(() => send(errorReply('InvalidRequest', `Ambiguous request framing: ${problem}`, requestId), 'unmatched', true));
      return;
    }

    const early = middleware.admit(req);
    if (early) {
      send(early, 'middleware');
      return;
    }

    // HEAD is served by the GET route (RFC 9110 §9.3.2), without the body
    const match = router.match(method === 'HEAD' ? 'GET' : method, url);
    if (match === undefined) {
      send(errorReply('NotFound', `No route for ${method} ${url}`, requestId), 'unmatched');
      return;
    }
    if (match === 'method') {
      send(errorReply('MethodNotAllowed', `${method} is not allowed on ${url}`, requestId, { allow: router.methodsFor(url).join(', ') }), 'unmatched');
      return;
    }
    req.params = match.params;
    const route = match.pattern;
    const run = (): void => {
      if (req.aborted) return; // the answer could not be delivered: do not perform the request
      let result: HttpReply | Promise<HttpReply>;
      try {
        result = match.handler(req);
      } catch (e) {
        fail(e, route);
        return;
      }
      if (result instanceof Promise) result.then((r) => send(r, route), (e) => fail(e, route));
      else send(result, route);
    };
    const start = (): void => {
      const held = options.held?.();
      if (held) void held.then(run);
      else run();
    };
    if (isSafe(method)) {
      start();
      return;
    }
    const declared = headers['content-length'];
    readBody(res, declared === undefined ? undefined : Number(declared), limits, {
      complete: (body) => {
        if (body !== null) req.bodyRead = Promise.resolve(body);
        req.bodyNow = body;
        afterRead.run(start);
      },
      tooLarge: (message) => send(errorReply('PayloadTooLarge', message, requestId), route, true),
    });
  });
}

/** Parses a JSON body; `undefined` body → `undefined`, malformed → a thrown `SyntaxError`. */
export async function readJson(req: HttpRequest): Promise<unknown> {
  const body = await req.body();
  if (body === null) return undefined;
  return JSON.parse(body.toString('utf8'));
}

export { PayloadTooLarge };
