import type { EventSubscription, ExecutionEvent, ExecutionEventHub } from '../../runtime/events/execution-events.js';
import type { WebSocketConnection, WebSocketRoute } from '../host/websocket.js';
import type { Logger } from '../logger.js';

/**
 * `GET /api/v1/executions/events[?executionId=<id>]` (WebSocket): the live events of one
 * execution, or of all, one JSON object per text frame. Mounted whether or not the dashboard
 * is on; the upgrade passes the shared middleware (a key as header, `?token=` or subprotocol).
 *
 * Client frames are ignored (`ping` is the customary keep-alive). A slow client gets at most
 * `QUEUE_LIMIT` events queued behind its socket's back-pressure; later events for it are dropped
 * and the drops logged once per burst (never a stalled engine, never unbounded memory).
 */

export const EVENTS_PATH = '/api/v1/executions/events';
const QUEUE_LIMIT = 100;

interface SocketState {
  subscription: EventSubscription | undefined;
  queue: string[];
  dropped: number;
}

/** One serialisation per event, however many sockets receive it. */
const encoded = new WeakMap<ExecutionEvent, string>();
function encode(event: ExecutionEvent): string {
  let text = encoded.get(event);
  if (text === undefined) {
    text = JSON.stringify(event);
    encoded.set(event, text);
  }
  return text;
}

export function executionEventsRoute(hub: ExecutionEventHub, logger: Logger): WebSocketRoute {
  const state = (conn: WebSocketConnection) => conn.state as SocketState;
  const flush = (conn: WebSocketConnection) => {
    const s = state(conn);
    // a send that reports back-pressure has still taken the message: it is not queued again
    while (s.queue.length > 0 && conn.bufferedAmount === 0) conn.send(s.queue.shift()!);
    if (s.dropped > 0 && s.queue.length === 0) {
      logger.warn({ requestId: conn.request.requestId, dropped: s.dropped }, 'execution events dropped for a slow WebSocket client');
      s.dropped = 0;
    }
  };
  return {
    path: EVENTS_PATH,
    // offered by the dashboard beside its key, so the handshake never echoes the key
    protocols: ['constellation-events'],
    maxPayloadBytes: 4096,
    idleTimeoutSeconds: 120,
    open(conn) {
      const id = conn.request.query.get('executionId');
      const s: SocketState = { subscription: undefined, queue: [], dropped: 0 };
      conn.state = s;
      s.subscription = hub.subscribe(id && id.length > 0 ? id : undefined, (event) => {
        if (conn.closed) return;
        const text = encode(event);
        if (s.queue.length === 0 && conn.bufferedAmount === 0) {
          conn.send(text);
          return;
        }
        if (s.queue.length >= QUEUE_LIMIT) s.dropped++;
        else s.queue.push(text);
      });
    },
    message() {
      // nothing to answer: `ping` keeps proxies from closing an idle socket, anything else is ignored
    },
    drain(conn) {
      flush(conn);
    },
    close(conn) {
      state(conn)?.subscription?.close();
    },
  };
}
