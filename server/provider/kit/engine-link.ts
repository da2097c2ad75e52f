import * as grpc from '@grpc/grpc-js';
import { PROTOCOL_VERSION, services, type ControlMessageMsg, type ModuleDeclarationMsg, type RegisterResponseMsg } from '../proto.js';

/**
 * The provider kit's session with one engine instance: Register, then the control stream
 * (a heartbeat at once, then every `heartbeatIntervalMs`), until stopped or drained. Unlike the
 * reference SDK it
 * - sets a deadline on every unary call;
 * - reconnects: when the stream breaks, the engine restarts or stops acknowledging heartbeats,
 *   it registers again, with exponential backoff (capped), for as long as it runs;
 * - acknowledges a DrainRequest, stops offering its modules to that engine once the calls in
 *   flight are done, deregisters and then closes its stream;
 * - stops in the order the engine prefers: Deregister first, then the stream.
 * A registration the engine refuses (reserved or owned namespace, malformed declarations) is
 * final: retrying cannot change it, so it is reported and the link stops.
 */

export type LinkState = 'Connecting' | 'Active' | 'Draining' | 'Drained' | 'Reconnecting' | 'Refused' | 'Stopped';

export interface LinkOptions {
  readonly address: string;
  readonly namespace: string;
  readonly groupId: string;
  readonly executorUrl: string;
  readonly executorTls: boolean;
  readonly credentials: grpc.ChannelCredentials;
  readonly token: string | null;
  readonly heartbeatIntervalMs: number;
  readonly callTimeoutMs: number;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  readonly log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  /** Resolves when no call is executing (a drain waits for it). */
  readonly idle: () => Promise<void>;
}

type ProviderClient = grpc.Client & {
  register(request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: RegisterResponseMsg) => void): void;
  deregister(request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: unknown) => void): void;
  controlPlane(metadata: grpc.Metadata): grpc.ClientDuplexStream<ControlMessageMsg, ControlMessageMsg>;
};

/** Refusals that another attempt cannot change. */
const FINAL = new Set([grpc.status.INVALID_ARGUMENT, grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED, grpc.status.NOT_FOUND, grpc.status.UNIMPLEMENTED]);

export class RegistrationRefused extends Error {
  constructor(readonly address: string, message: string) {
    super(`${address}: ${message}`);
    this.name = 'RegistrationRefused';
  }
}

export class EngineLink {
  state: LinkState = 'Connecting';
  connectionId = '';
  /** The last problem, for `status()`. */
  lastError: string | undefined;
  private readonly client: ProviderClient;
  private stream: grpc.ClientDuplexStream<ControlMessageMsg, ControlMessageMsg> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private declarations: ModuleDeclarationMsg[];
  private drainedWaiters: (() => void)[] = [];

  constructor(private readonly options: LinkOptions, declarations: ModuleDeclarationMsg[]) {
    this.client = new (services().ModuleProvider)(options.address, options.credentials) as unknown as ProviderClient;
    this.declarations = declarations;
    this.backoffMs = options.reconnectInitialMs;
  }

  private metadata(extra: Record<string, string> = {}): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.options.token) md.set('authorization', `Bearer ${this.options.token}`);
    if (this.options.executorTls) md.set('constellation-executor-tls', 'true');
    for (const [k, v] of Object.entries(extra)) md.set(k, v);
    return md;
  }

  private deadline(): grpc.CallOptions {
    return { deadline: Date.now() + this.options.callTimeoutMs };
  }

  /**
   * Registers and opens the control stream. Rejects with RegistrationRefused when the engine
   * refuses for good; any other failure is retried in the background (the promise then resolves).
   */
  async connect(): Promise<void> {
    try {
      await this.registerOnce({});
    } catch (e) {
      if (e instanceof RegistrationRefused) throw e;
      this.scheduleReconnect(e);
    }
  }

  private registerOnce(extra: Record<string, string>): Promise<void> {
    const request = { namespace: this.options.namespace, modules: this.declarations, protocolVersion: PROTOCOL_VERSION, executorUrl: this.options.executorUrl, groupId: this.options.groupId };
    return new Promise<void>((resolve, reject) => {
      this.client.register(request, this.metadata(extra), this.deadline(), (error, response) => {
        if (this.state === 'Stopped') return resolve();
        if (error) {
          if (FINAL.has(error.code)) {
            this.state = 'Refused';
            this.lastError = error.details || error.message;
            return reject(new RegistrationRefused(this.options.address, this.lastError));
          }
          return reject(error);
        }
        if (!response!.success) {
          this.state = 'Refused';
          this.lastError = response!.results.filter((r) => !r.accepted).map((r) => `${r.moduleName}: ${r.rejectionReason}`).join('; ');
          return reject(new RegistrationRefused(this.options.address, `registration refused: ${this.lastError}`));
        }
        const replaced = this.connectionId !== '' && response!.connectionId === this.connectionId;
        this.connectionId = response!.connectionId;
        this.backoffMs = this.options.reconnectInitialMs;
        if (!replaced) this.openStream();
        this.state = 'Active';
        this.lastError = undefined;
        this.options.log('info', 'registered', { engine: this.options.address, connectionId: this.connectionId, replaced });
        resolve();
      });
    });
  }

  /**
   * Offers new declarations: an in-place replace of this connection's modules on the engine
   * (`constellation-connection-id`), or a group's schemas (`constellation-replace`).
   */
  async update(declarations: ModuleDeclarationMsg[], replaceGroup: boolean): Promise<void> {
    this.declarations = declarations;
    if (this.state !== 'Active') return; // a later (re)registration sends them
    const extra: Record<string, string> = { 'constellation-connection-id': this.connectionId };
    if (replaceGroup) extra['constellation-replace'] = 'true';
    await this.registerOnce(extra);
  }

  private openStream(): void {
    this.closeStream();
    const stream = this.client.controlPlane(this.metadata());
    this.stream = stream;
    // an engine that stopped answering (a host gone without closing its connections) is noticed
    // by the missing acknowledgements, and registered with again
    let lastAck = Date.now();
    const silence = Math.max(3 * this.options.heartbeatIntervalMs, 2_000);
    const send = () => {
      if (this.stream !== stream) return;
      if (Date.now() - lastAck > silence) {
        lost(`no heartbeat acknowledgement for ${silence} ms`);
        stream.cancel();
        return;
      }
      stream.write({ protocolVersion: PROTOCOL_VERSION, connectionId: this.connectionId, heartbeat: { namespace: this.options.namespace, timestamp: Date.now() } });
    };
    stream.on('data', (msg: ControlMessageMsg) => {
      if (msg.payload === 'heartbeatAck') lastAck = Date.now();
      else if (msg.payload === 'drainRequest') void this.onDrain(stream, msg.drainRequest?.reason ?? '', msg.drainRequest?.deadlineMs ?? 0);
      else if (msg.payload === 'activeModulesReport') {
        const held = new Set(msg.activeModulesReport?.activeModules ?? []);
        const missing = this.declarations.map((d) => d.name!).filter((n) => !held.has(n));
        if (missing.length) this.options.log('warn', 'the engine no longer holds some of our modules', { engine: this.options.address, missing });
      }
    });
    const lost = (why: string) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      clearInterval(this.heartbeat);
      if (this.state === 'Active' || this.state === 'Connecting') this.scheduleReconnect(new Error(why));
    };
    stream.on('error', (e: grpc.ServiceError) => lost(e.details || e.message));
    stream.on('end', () => lost('the engine closed the control stream'));
    send();
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(send, this.options.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  /** Half-closes the stream (the engine withdraws the connection if it still has it, and ends its side). */
  private closeStream(): void {
    clearInterval(this.heartbeat);
    const stream = this.stream;
    this.stream = undefined;
    if (stream) {
      stream.end();
      // an engine that does not answer must not keep the process alive
      setTimeout(() => stream.cancel(), 2000).unref();
    }
  }

  private scheduleReconnect(cause: unknown): void {
    if (this.state === 'Stopped' || this.state === 'Drained' || this.state === 'Refused') return;
    this.state = 'Reconnecting';
    this.connectionId = '';
    this.lastError = cause instanceof Error ? cause.message : String(cause);
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.options.reconnectMaxMs, this.backoffMs * 2);
    this.options.log('warn', `engine unreachable; registering again in ${wait} ms`, { engine: this.options.address, error: this.lastError });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.registerOnce({}).catch((e: unknown) => {
        if (e instanceof RegistrationRefused) this.options.log('error', e.message);
        else this.scheduleReconnect(e);
      });
    }, wait);
    this.retryTimer.unref();
  }

  private async onDrain(stream: grpc.ClientDuplexStream<ControlMessageMsg, ControlMessageMsg>, reason: string, deadlineMs: number): Promise<void> {
    if (this.state !== 'Active') return;
    this.state = 'Draining';
    this.options.log('info', 'drain requested', { engine: this.options.address, reason, deadline: deadlineMs ? new Date(deadlineMs).toISOString() : null });
    stream.write({ protocolVersion: PROTOCOL_VERSION, connectionId: this.connectionId, drainAck: { accepted: true, inFlightCount: 0 } });
    const left = deadlineMs > 0 ? Math.max(0, deadlineMs - Date.now()) : this.options.callTimeoutMs;
    await Promise.race([this.options.idle(), new Promise((r) => setTimeout(r, left).unref())]);
    await this.leave();
    this.state = 'Drained';
    for (const w of this.drainedWaiters.splice(0)) w();
  }

  /** Resolves when this engine drained the provider. */
  drained(): Promise<void> {
    if (this.state === 'Drained') return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  /** Deregister (best effort), then close the stream. */
  private async leave(): Promise<void> {
    if (this.connectionId) {
      const request = { namespace: this.options.namespace, moduleNames: this.declarations.map((d) => d.name!), connectionId: this.connectionId };
      await new Promise<void>((resolve) => this.client.deregister(request, this.metadata(), this.deadline(), () => resolve()));
    }
    this.connectionId = '';
    this.closeStream();
  }

  async stop(): Promise<void> {
    const wasLinked = this.state === 'Active' || this.state === 'Draining';
    this.state = 'Stopped';
    clearTimeout(this.retryTimer);
    if (wasLinked) await this.leave();
    else this.closeStream();
    this.client.close();
    for (const w of this.drainedWaiters.splice(0)) w();
  }
}
