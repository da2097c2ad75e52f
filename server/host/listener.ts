import type { Runtime } from '../../actors/runtime-factory.js';
import type { Backends } from '../../runtime/backends.js';
import type { ServerContext } from '../context.js';
import type { Config } from '../config.js';
import type { Lifecycle, LifecycleState } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import type { RouteSpec } from '../routes/openapi.js';
import type { WebSocketRoute } from './websocket.js';

/**
 * What plugs into the server beside the HTTP routes: a WebSocket route (the LSP, live events),
 * a port of its own (the provider port), a background agent (the cluster). Each gets the host
 * at start, hears every lifecycle change, drains with the HTTP front and closes after it.
 *
 * Order: `start` of every listener (in attach order) → the HTTP port listens → Running …
 * SIGTERM → Draining (announced) → HTTP and every listener drain in parallel, bounded by one
 * deadline → `close` of every listener (reverse order) → the pool closes.
 */
export interface AttachedListener {
  readonly name: string;
  /** Called once, before the HTTP port listens: register WebSocket and HTTP routes, open own ports. */
  start(host: ServerHost): Promise<void>;
  /** Every lifecycle change after start (Running, Draining, Stopped). */
  onStateChange?(state: LifecycleState): void;
  /** Stop taking new work and finish what is in flight by `deadline` (epoch ms). */
  drain(deadline: number): Promise<void>;
  /** Release everything (after the drain, or after a failed start). Must be idempotent. */
  close(): Promise<void>;
}

/** What an attached listener may use and extend. */
export interface ServerHost {
  readonly config: Config;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  readonly runtime: Runtime;
  /** The assembled server state the routes use (engine, pipeline catalogue, metrics). */
  readonly context: ServerContext;
  /** The backends in use: metrics, tracer, listener, cache, breakers, stores, execution history. */
  readonly backends: Backends;
  /** The HTTP port once it listens (`undefined` during `start`; known from the Running change on). */
  readonly port: number | undefined;
  /** Adds a WebSocket route on the HTTP port; its upgrade passes the shared middleware chain. */
  webSocket(route: WebSocketRoute): void;
  /** Is a WebSocket route mounted at `path` (by any listener, at any time before the call)? */
  hasWebSocket(path: string): boolean;
  /** Adds HTTP routes (documented in /openapi.json like the core routes). */
  routes(specs: readonly RouteSpec[]): void;
}
