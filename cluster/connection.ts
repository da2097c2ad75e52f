import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, Events, type ConnectionOptions, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { describeClusterConfig, type ClusterConfig } from './config.js';
import { asCoordinationError, coordinationUnavailable, isCoordinationUnavailable } from './errors.js';
import { errorText, type ClusterLogger } from './log.js';

/**
 * The instance's one NATS connection. It connects in the background and keeps reconnecting for
 * ever with a jittered back-off, so an instance starts (and serves what needs no shared state)
 * whether or not NATS is there yet.
 *
 * - `state`: `connecting` (never connected yet) → `connected` ⇄ `reconnecting` → `closed`.
 * - `onConnected(hook)`: runs after the first connection and after every reconnect, in order
 *   of registration — where watchers are re-created and local copies resynchronised (the
 *   client restores plain subscriptions by itself; JetStream watchers it does not, reliably).
 * - `onDisconnected(hook)`: runs when the connection drops (degraded mode starts).
 * - `shared(operation, work)`: the gate of every shared read or write. Right after a disconnect
 *   it waits for the reconnect (a failover takes one round of reconnecting) within its timeout;
 *   later in an outage it refuses at once. The work is bounded by the operation timeout, and any
 *   NATS failure becomes `CoordinationUnavailable` (compare-and-set conflicts pass through for
 *   the caller to retry). So a shared write answers within the operation timeout, always.
 */

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export type ConnectedHook = (reason: 'connect' | 'reconnect') => void | Promise<void>;

export interface ConnectionStats {
  readonly state: ConnectionState;
  /** The server URL in use (no credentials), when connected. */
  readonly server: string | null;
  readonly serverVersion: string | null;
  readonly connects: number;
  readonly disconnects: number;
  /** Epoch ms of the last change of `state`. */
  readonly since: number;
  /** Shared operations refused without trying (not connected). */
  readonly refused: number;
  /** Shared operations that failed against NATS (timeouts, no quorum…). */
  readonly failed: number;
}

export class ClusterConnection {
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsmPromise: Promise<JetStreamManager> | undefined;
  private current: ConnectionState = 'connecting';
  private since = Date.now();
  private connects = 0;
  private disconnects = 0;
  private refused = 0;
  private failed = 0;
  private closing = false;
  private readonly connectedHooks: ConnectedHook[] = [];
  private readonly disconnectedHooks: (() => void)[] = [];
  private hookChain: Promise<void> = Promise.resolve();
  private reconnectWaiters: (() => void)[] = [];

  constructor(
    private readonly config: ClusterConfig,
    readonly name: string,
    private readonly logger: ClusterLogger,
  ) {}

  get state(): ConnectionState {
    return this.current;
  }

  get connected(): boolean {
    return this.current === 'connected';
  }

  onConnected(hook: ConnectedHook): void {
    this.connectedHooks.push(hook);
  }

  onDisconnected(hook: () => void): void {
    this.disconnectedHooks.push(hook);
  }

  /** Starts connecting in the background (returns at once). */
  start(): void {
    let options: ConnectionOptions;
    try {
      options = this.options();
    } catch (e) {
      // unreadable credentials: a configuration error, reported at start-up
      throw new Error(`cluster: ${errorText(e)}`);
    }
    this.logger.info({ cluster: describeClusterConfig(this.config) }, 'cluster: connecting to NATS');
    void this.firstConnect(options);
  }

  /**
   * The first connection, retried here (not by the client's `waitOnFirstConnect`) so that
   * `close()` can stop it: an instance shut down before NATS ever answered must exit.
   */
  private async firstConnect(options: ConnectionOptions): Promise<void> {
    const t = this.config.timers;
    let attempt = 0;
    while (!this.closing) {
      try {
        this.attach(await connect(options));
        return;
      } catch (e) {
        if (attempt++ === 0 || attempt % 30 === 0) this.logger.warn({ err: errorText(e), attempts: attempt }, 'cluster: NATS not reachable yet; retrying');
      }
      await new Promise((r) => setTimeout(r, t.reconnectWaitMs + Math.random() * t.reconnectJitterMs).unref());
    }
  }

  private options(): ConnectionOptions {
    const t = this.config.timers;
    const options: ConnectionOptions = {
      servers: [...this.config.servers],
      name: this.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: t.reconnectWaitMs,
      reconnectJitter: t.reconnectJitterMs,
      reconnectJitterTLS: t.reconnectJitterMs,
      timeout: t.connectTimeoutMs,
      pingInterval: t.pingIntervalMs,
      maxPingOut: 2,
      ignoreClusterUpdates: false,
      // no stack captured per request (a `new Error()` each: measurable on routed calls); a
      // timeout still says which operation timed out
      noAsyncTraces: true,
    };
    if (this.config.token) options.token = this.config.token;
    if (this.config.credsFile) {
      const path = this.config.credsFile;
      const creds = readFileSync(path);
      options.authenticator = credsAuthenticator(new Uint8Array(creds));
    }
    if (this.config.tls) {
      const tls: NonNullable<ConnectionOptions['tls']> = {};
      if (this.config.tls.caFile) tls.caFile = this.config.tls.caFile;
      if (this.config.tls.certFile) tls.certFile = this.config.tls.certFile;
      if (this.config.tls.keyFile) tls.keyFile = this.config.tls.keyFile;
      options.tls = tls;
    }
    return options;
  }

  private attach(nc: NatsConnection): void {
    if (this.closing) {
      void nc.close();
      return;
    }
    this.nc = nc;
    this.js = nc.jetstream({ timeout: this.config.timers.operationTimeoutMs });
    this.connects++;
    this.setState('connected');
    this.logger.info({ server: nc.getServer(), version: nc.info?.version }, 'cluster: connected to NATS');
    this.runConnectedHooks('connect');
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === Events.Disconnect) {
          this.disconnects++;
          this.setState('reconnecting');
          this.logger.warn({ server: String(s.data) }, 'cluster: NATS connection lost; serving in degraded mode while reconnecting');
          for (const h of this.disconnectedHooks) {
            try {
              h();
            } catch (e) {
              this.logger.warn({ err: errorText(e) }, 'cluster: disconnect hook failed');
            }
          }
        } else if (s.type === Events.Reconnect) {
          this.connects++;
          this.setState('connected');
          this.logger.info({ server: String(s.data) }, 'cluster: reconnected to NATS; resynchronising');
          this.runConnectedHooks('reconnect');
        } else if (s.type === Events.LDM) {
          this.logger.warn({ server: String(s.data) }, 'cluster: NATS server entering lame-duck mode');
        } else if (s.type === Events.Error) {
          this.logger.warn({ err: String(s.data) }, 'cluster: NATS reported an error');
        }
      }
    })().catch(() => {});
    void nc.closed().then((e) => {
      this.setState('closed');
      if (e && !this.closing) this.logger.error({ err: errorText(e) }, 'cluster: NATS connection closed');
    });
  }

  private runConnectedHooks(reason: 'connect' | 'reconnect'): void {
    // one resynchronisation at a time, in order: a flapping connection queues them
    this.hookChain = this.hookChain.then(async () => {
      for (const hook of this.connectedHooks) {
        if (!this.connected) return; // lost again: the next reconnect runs them
        try {
          await hook(reason);
        } catch (e) {
          this.logger.warn({ err: errorText(e) }, 'cluster: resynchronisation step failed (retried on the next reconnect)');
        }
      }
    });
  }

  private setState(state: ConnectionState): void {
    if (this.current === state || this.current === 'closed') return;
    this.current = state;
    this.since = Date.now();
    if (state === 'connected' || state === 'closed') for (const w of this.reconnectWaiters.splice(0)) w();
  }

  /** The connection, or CoordinationUnavailable at once when there is none right now. */
  require(operation: string): NatsConnection {
    if (!this.nc || !this.connected) {
      this.refused++;
      throw coordinationUnavailable(operation);
    }
    return this.nc;
  }

  jetstream(operation: string): JetStreamClient {
    this.require(operation);
    return this.js!;
  }

  jetstreamManager(operation: string): Promise<JetStreamManager> {
    const nc = this.require(operation);
    this.jsmPromise ??= nc.jetstreamManager({ timeout: this.config.timers.operationTimeoutMs }).catch((e: unknown) => {
      this.jsmPromise = undefined;
      throw e;
    });
    return this.jsmPromise;
  }

  /**
   * Runs a shared operation: refused at once when disconnected; bounded by `timeoutMs`
   * (default: the operation timeout); NATS failures become CoordinationUnavailable.
   */
  async shared<T>(operation: string, work: () => Promise<T>, timeoutMs = this.config.timers.operationTimeoutMs): Promise<T> {
    const started = performance.now();
    if (!this.connected && this.recentlyLost()) await this.reconnected(timeoutMs);
    this.require(operation);
    timeoutMs = Math.max(1, timeoutMs - (performance.now() - started));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(coordinationUnavailable(operation, new Error(`no answer within ${timeoutMs} ms`))), timeoutMs);
    });
    try {
      return await Promise.race([work(), timeout]);
    } catch (e) {
      const mapped = asCoordinationError(operation, e);
      if (isCoordinationUnavailable(mapped)) this.failed++;
      throw mapped;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A connection lost moments ago is usually back within one reconnect (a failover to another
   * server of the cluster): an operation then waits for it, within its own timeout, instead of
   * failing. A connection lost for longer refuses at once.
   */
  private recentlyLost(): boolean {
    return this.current === 'reconnecting' && Date.now() - this.since < 2 * this.config.timers.operationTimeoutMs;
  }

  /** Resolves when connected again or after `ms`, whichever is first. */
  private reconnected(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      const waiter = () => done();
      this.reconnectWaiters.push(waiter);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  stats(): ConnectionStats {
    return {
      state: this.current,
      server: this.connected && this.nc ? this.nc.getServer() : null,
      serverVersion: this.nc?.info?.version ?? null,
      connects: this.connects,
      disconnects: this.disconnects,
      since: this.since,
      refused: this.refused,
      failed: this.failed,
    };
  }

  /** The raw connection (publish/subscribe of signals); `undefined` before the first connect. */
  get raw(): NatsConnection | undefined {
    return this.nc;
  }

  /** Flushes what was published and closes. Idempotent. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const nc = this.nc;
    this.setState('closed');
    if (!nc) return;
    try {
      if (!nc.isClosed()) {
        await Promise.race([nc.flush().catch(() => {}), new Promise((r) => setTimeout(r, 500).unref())]);
        await nc.close();
      }
    } catch (e) {
      this.logger.debug({ err: errorText(e) }, 'cluster: closing the NATS connection failed');
    }
  }
}
