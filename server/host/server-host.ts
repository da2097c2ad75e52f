import uWS from 'uWebSockets.js';
import type { Runtime } from '../../actors/runtime-factory.js';
import type { Backends } from '../../runtime/backends.js';
import type { Config } from '../config.js';
import type { ServerContext } from '../context.js';
import type { MiddlewareChain } from '../http/middleware.js';
import type { Lifecycle } from '../lifecycle.js';
import type { Logger } from '../logger.js';
import type { RouteSpec } from '../routes/openapi.js';
import type { AttachedListener, ServerHost } from './listener.js';
import { WebSocketRegistry, type WebSocketRoute } from './websocket.js';

/**
 * The uWS app and everything attached to it: WebSocket routes, extra HTTP routes, listeners
 * with their lifecycle. `createServer` (app.ts) assembles the state; this class owns start-up
 * order, the listening socket and the shutdown sequence:
 *
 *   start every listener → (HTTP routes attached by app.ts) → listen → Running
 *   shutdown: Draining → HTTP requests and every listener drain in parallel against one
 *   deadline (then running executions are cancelled) → Stopped → listeners close (reverse
 *   order) → remaining WebSockets closed → the port closes → the runtime closes.
 *
 * A listener that overruns the deadline is not waited for beyond a short grace: shutdown is
 * bounded by the drain timeout plus `CLOSE_GRACE_MS` per phase.
 */

/** How long past the drain deadline a listener's drain, and each close, may take. */
const CLOSE_GRACE_MS = 2_000;

/**
 * After the port closes: how long no request may start before the connections close (requests
 * already sent on accepted connections are read and answered meanwhile).
 */
const SETTLE_MS = 100;

/** Before the port closes: requests are held until none has started for this long (reconnecting clients are then all accepted and waiting). */
const HOLD_MS = 100;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Resolves when `work` settles or `ms` passes, whichever is first (never rejects). */
async function bounded(work: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => 'done' as const, () => 'done' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class Host implements ServerHost {
  readonly app: uWS.TemplatedApp = uWS.App();
  private readonly started: AttachedListener[] = [];
  private readonly extraRoutes: RouteSpec[] = [];
  private readonly sockets = new WebSocketRegistry();
  private listenSocket: uWS.us_listen_socket | undefined;
  port: number | undefined;

  constructor(
    readonly config: Config,
    readonly logger: Logger,
    readonly lifecycle: Lifecycle,
    readonly runtime: Runtime,
    readonly context: ServerContext,
    readonly backends: Backends,
    private readonly chain: MiddlewareChain,
  ) {
    lifecycle.onChange((state) => {
      for (const l of this.started) {
        try {
          l.onStateChange?.(state);
        } catch (e) {
          logger.warn({ listener: l.name, err: errorText(e) }, 'listener failed to handle a lifecycle change');
        }
      }
    });
  }

  webSocket(route: WebSocketRoute): void {
    this.sockets.mount(this.app, route, { chain: this.chain, apiKeys: this.config.apiKeys, trustProxy: this.config.trustProxy, lifecycle: this.lifecycle, logger: this.logger });
  }

  routes(specs: readonly RouteSpec[]): void {
    this.extraRoutes.push(...specs);
  }

  /** HTTP routes the listeners added. */
  get attachedRoutes(): readonly RouteSpec[] {
    return this.extraRoutes;
  }

  hasWebSocket(path: string): boolean {
    return this.sockets.paths.has(path);
  }

  get openWebSockets(): number {
    return this.sockets.size;
  }

  /** Starts every listener in order; on a failure, closes those started and rethrows. */
  async startListeners(listeners: readonly AttachedListener[]): Promise<void> {
    for (const l of listeners) {
      try {
        await l.start(this);
      } catch (e) {
        this.started.push(l); // a listener that failed half-way is closed too
        await this.closeListeners();
        throw new Error(`${l.name} failed to start: ${errorText(e)}`);
      }
      this.started.push(l);
    }
  }

  async listen(): Promise<number> {
    const { host, port } = this.config;
    this.listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
      this.app.listen(host, port, (socket) => {
        if (socket) resolve(socket);
        else reject(new Error(`cannot listen on ${host}:${port} (is the port in use?)`));
      });
    });
    this.port = uWS.us_socket_local_port(this.listenSocket);
    return this.port;
  }

  /**
   * The drain: HTTP requests and listeners in parallel until the deadline; `onTimeout` cancels
   * what still runs. Resolves when everything drained, or shortly after the deadline.
   */
  async drain(deadline: number, onTimeout: () => void): Promise<void> {
    this.lifecycle.beginDrain();
    const drains = this.started.map(async (l) => {
      try {
        await l.drain(deadline);
      } catch (e) {
        this.logger.warn({ listener: l.name, err: errorText(e) }, 'listener drain failed');
      }
    });
    const all = Promise.all([this.lifecycle.drainRequests(deadline, onTimeout), ...drains]);
    if ((await bounded(all, deadline - Date.now() + CLOSE_GRACE_MS)) === 'timeout') {
      this.logger.warn('drain: a listener did not finish by the deadline; closing anyway');
    }
    this.lifecycle.markStopped();
  }

  /**
   * Closes the port, then listeners (reverse order), open WebSockets and connections.
   * Idempotent.
   *
   * No request may be lost to a reset. During the drain every answer said `Connection: close`,
   * so clients that keep sending reconnect again and again; a connection still in the kernel's
   * accept queue when the port closes would be reset. So requests are first held (not answered)
   * for a moment: every such client is then accepted and waiting for its answer, none is
   * connecting. The port closes with an empty queue, the held requests get their 503 with
   * `Connection: close`, later connects are refused (nothing sent: safe to retry elsewhere), and
   * the connections close once requests have stopped arriving.
   */
  async close(): Promise<void> {
    if (this.listenSocket) {
      const release = this.lifecycle.hold();
      await this.lifecycle.noneStartedFor(HOLD_MS, CLOSE_GRACE_MS);
      // right after a poll phase: connections that were waiting to be accepted now are
      await new Promise((resolve) => setImmediate(resolve));
      uWS.us_listen_socket_close(this.listenSocket);
      this.listenSocket = undefined;
      release();
      await this.lifecycle.quiet(SETTLE_MS, CLOSE_GRACE_MS);
    }
    await this.closeListeners();
    this.sockets.closeAll();
    (this.app as unknown as { close?: () => void }).close?.();
  }

  private async closeListeners(): Promise<void> {
    for (const l of this.started.splice(0).reverse()) {
      const outcome = await bounded(
        l.close().catch((e: unknown) => this.logger.warn({ listener: l.name, err: errorText(e) }, 'listener close failed')),
        CLOSE_GRACE_MS,
      );
      if (outcome === 'timeout') this.logger.warn({ listener: l.name }, 'listener close timed out');
    }
  }
}
