import uWS from 'uWebSockets.js';
import { formatError } from '../../runtime/errors.js';
import { errorReply } from '../http/error-reply.js';
import { offeredProtocols, upgradeCredential } from '../auth.js';
import type { ApiKey } from '../config.js';
import type { MiddlewareChain } from '../http/middleware.js';
import type { HttpReply, HttpRequest } from '../http/types.js';
import { readRequestHead, UwsRequest, writeReply } from '../http/uws-adapter.js';
import type { Lifecycle } from '../lifecycle.js';
import type { Logger } from '../logger.js';

/**
 * WebSocket routes on the HTTP port (`/lsp`, `/api/v1/executions/events`). The upgrade request
 * is built like any HTTP request (request id, headers, query) and passes the same middleware
 * chain — CORS, rate limit, auth — then the route's own check; a refusal is answered as the
 * HTTP error it would be for a request (401, 403, 429, 503). The API key of an upgrade may also
 * come as `?token=` or a `Sec-WebSocket-Protocol` value (auth.ts, `upgradeCredential`).
 *
 * A route sees plain connections (`WebSocketConnection`), never uWS objects: a callback that
 * throws is logged and closes that connection with 1011, never the process.
 */

export interface WebSocketConnection {
  /** The upgrade request (headers, query, request id, the role of its key). */
  readonly request: HttpRequest;
  /** Sends one message; `false` when it was buffered for back-pressure or the socket is closed. */
  send(data: string | Uint8Array, binary?: boolean): boolean;
  /** Closes with a close frame (default 1000). */
  end(code?: number, reason?: string): void;
  /** Bytes waiting to be written (back-pressure). */
  readonly bufferedAmount: number;
  readonly closed: boolean;
  /** The route's own per-connection state. */
  state: unknown;
}

export interface WebSocketRoute {
  readonly path: string;
  /** Largest message accepted; a bigger one closes the connection (1009). Default 4 MiB. */
  readonly maxPayloadBytes?: number;
  /** Seconds without traffic before uWS closes the socket (pings are sent automatically). Default 120. */
  readonly idleTimeoutSeconds?: number;
  /** Back-pressure bound per socket in bytes. Default 16 MiB. */
  readonly maxBackpressureBytes?: number;
  /** Subprotocols the route speaks, preferred first; one the client offers is echoed. */
  readonly protocols?: readonly string[];
  /** The route's own admission after the shared chain (roles, query); a reply refuses the upgrade. */
  authorize?(req: HttpRequest): HttpReply | undefined;
  open(conn: WebSocketConnection): void;
  message(conn: WebSocketConnection, data: string | Buffer, isBinary: boolean): void;
  close(conn: WebSocketConnection, code: number, reason: string): void;
  /** The socket's back-pressure has drained. */
  drain?(conn: WebSocketConnection): void;
}

interface SocketData {
  conn: Connection;
}

class Connection implements WebSocketConnection {
  state: unknown = undefined;
  closed = false;
  socket: uWS.WebSocket<SocketData> | undefined;

  constructor(readonly request: HttpRequest) {}

  send(data: string | Uint8Array, binary = typeof data !== 'string'): boolean {
    if (this.closed || !this.socket) return false;
    // 1 = sent, 0 = buffered (back-pressure), 2 = dropped (over the back-pressure bound)
    return this.socket.send(data, binary) === 1;
  }

  end(code = 1000, reason = ''): void {
    if (this.closed || !this.socket) return;
    this.socket.end(code, reason);
  }

  get bufferedAmount(): number {
    return this.closed || !this.socket ? 0 : this.socket.getBufferedAmount();
  }
}

export interface WebSocketMountOptions {
  readonly chain: MiddlewareChain;
  readonly apiKeys: readonly ApiKey[];
  readonly trustProxy: boolean;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
}

/** The open connections of every mounted route, for the final close. */
export class WebSocketRegistry {
  private readonly open = new Set<Connection>();
  /** Paths of the mounted routes (the dashboard asks whether `/lsp` is there). */
  readonly paths = new Set<string>();

  mount(app: uWS.TemplatedApp, route: WebSocketRoute, options: WebSocketMountOptions): void {
    const { chain, logger } = options;
    this.paths.add(route.path);
    const guard = (what: string, conn: Connection, body: () => void): void => {
      try {
        body();
      } catch (e) {
        logger.error({ requestId: conn.request.requestId, err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e) }, `WebSocket ${route.path}: ${what} failed`);
        conn.end(1011, 'internal error');
      }
    };

    app.ws<SocketData>(route.path, {
      maxPayloadLength: route.maxPayloadBytes ?? 4 * 1024 * 1024,
      idleTimeout: route.idleTimeoutSeconds ?? 120,
      maxBackpressure: route.maxBackpressureBytes ?? 16 * 1024 * 1024,
      sendPingsAutomatically: true,
      upgrade: (res, uwsReq, context) => {
        const head = readRequestHead(uwsReq, options.trustProxy);
        const key = head.headers['sec-websocket-key'] ?? '';
        const extensions = head.headers['sec-websocket-extensions'] ?? '';
        const req = new UwsRequest(head.method, head.url, head.queryText, head.headers, head.requestId, undefined, res, head.forwarded);
        const offered = offeredProtocols(head.headers);
        let credentialProtocol: string | undefined;
        if (options.apiKeys.length > 0 && head.headers['authorization'] === undefined) {
          const credential = upgradeCredential(options.apiKeys, req);
          if (credential) {
            head.headers['authorization'] = `Bearer ${credential.token}`;
            if (credential.fromProtocol) credentialProtocol = credential.token;
          }
        }
        void req.remoteAddress; // read now: the response object is gone after the upgrade
        const refusal =
          chain.admit(req) ??
          (options.lifecycle.acceptingWork ? undefined : errorReply('ShuttingDown', formatError('ShuttingDown'), head.requestId)) ??
          route.authorize?.(req);
        if (refusal) {
          const extra: Record<string, string> = {};
          chain.responseHeaders(req, extra);
          writeReply(res, 'GET', head.requestId, refusal, extra);
          return;
        }
        // browsers fail the handshake unless one offered protocol is echoed: the route's own
        // first, else any other offered value, else (only the key was offered) the key itself
        const protocol =
          offered.find((p) => route.protocols?.includes(p)) ?? offered.find((p) => p !== credentialProtocol) ?? offered[0] ?? '';
        const conn = new Connection(req);
        req.seal();
        res.upgrade<SocketData>({ conn }, key, protocol, extensions, context);
      },
      open: (ws) => {
        const conn = ws.getUserData().conn;
        conn.socket = ws;
        this.open.add(conn);
        guard('open', conn, () => route.open(conn));
      },
      message: (ws, message, isBinary) => {
        const conn = ws.getUserData().conn;
        // the ArrayBuffer is valid only during this callback: decode or copy it now
        const data = isBinary ? Buffer.from(new Uint8Array(message)) : Buffer.from(message).toString('utf8');
        guard('message', conn, () => route.message(conn, data, isBinary));
      },
      drain: (ws) => {
        const conn = ws.getUserData().conn;
        if (route.drain) guard('drain', conn, () => route.drain!(conn));
      },
      close: (ws, code, message) => {
        const conn = ws.getUserData().conn;
        conn.closed = true;
        this.open.delete(conn);
        const reason = Buffer.from(message).toString('utf8');
        try {
          route.close(conn, code, reason);
        } catch (e) {
          logger.error({ requestId: conn.request.requestId, err: e instanceof Error ? e.message : String(e) }, `WebSocket ${route.path}: close failed`);
        }
      },
    });
  }

  get size(): number {
    return this.open.size;
  }

  /** Closes every connection still open (1001 "going away"): the last step of a shutdown. */
  closeAll(): void {
    for (const conn of [...this.open]) conn.end(1001, 'server shutting down');
  }
}
