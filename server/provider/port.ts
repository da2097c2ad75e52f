import * as grpc from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { Engine } from '../../runtime/engine/engine.js';
import type { Logger } from '../logger.js';
import type { ProviderConfig } from './config.js';
import type { ControlStream, ProviderInfo } from './connection.js';
import { ControlPlane } from './control-plane.js';
import { ProviderDirectory } from './directory.js';
import { drainProvider, serverDrained, type DrainOutcome } from './draining.js';
import { ExecutorChannels } from './executor-channels.js';
import { ProviderInvoker } from './invoker.js';
import { ProviderMetrics } from './metrics.js';
import { bindServer, stopServer } from './grpc-server.js';
import { services, type DeregisterResponseMsg, type RegisterResponseMsg } from './proto.js';
import { deregister, register, RegistrationError } from './registration.js';
import { portCredentials, tokenAccepted } from './security.js';

/**
 * The provider port: a gRPC server (`@grpc/grpc-js`) serving `ModuleProvider` on
 * `CONSTELLATION_PROVIDER_PORT`, separate from the HTTP port. It wires the pieces together —
 * registration, the control plane and its monitor, the executor invoker, metrics — and owns
 * their lifetime: `drain` stops registrations and waits for the executions and provider calls
 * in flight; `close` withdraws every connection (their modules leave the engine), ends the
 * streams with UNAVAILABLE — providers register again when the server is back — and stops the
 * server.
 *
 * While the port drains, Register is refused with UNAVAILABLE; Deregister and the control plane
 * keep working so providers can leave cleanly.
 */

export interface ProviderPortOptions {
  readonly engine: Engine;
  readonly config: ProviderConfig;
  readonly logger: Logger;
  /** The server's Prometheus registry, where the provider series go. */
  readonly registry?: Registry;
}

export class ProviderPort {
  private accepting = true;
  private closed = false;

  private constructor(
    readonly directory: ProviderDirectory,
    private readonly controlPlane: ControlPlane,
    private readonly server: grpc.Server,
    /** The port actually bound (useful with port 0). */
    readonly port: number,
  ) {}

  static async start(options: ProviderPortOptions): Promise<ProviderPort> {
    const { config, logger } = options;
    const credentials = portCredentials(config.tls);
    const metrics = new ProviderMetrics();
    const channels = new ExecutorChannels(config.maxMessageBytes, credentials.ca);
    const invoker = new ProviderInvoker(channels, metrics, logger, config.token);
    const directory = new ProviderDirectory(options.engine, config, metrics, logger, channels, invoker);
    metrics.connectionsSource = () => directory.countByState();
    const controlPlane = new ControlPlane(directory);
    const server = new grpc.Server({
      'grpc.max_receive_message_length': config.maxMessageBytes,
      'grpc.max_send_message_length': config.maxMessageBytes,
    });
    let port: ProviderPort | undefined;
    server.addService(services().ModuleProvider.service, {
      register: (call: grpc.ServerUnaryCall<unknown, RegisterResponseMsg>, callback: grpc.sendUnaryData<RegisterResponseMsg>) => port!.onRegister(call, callback),
      deregister: (call: grpc.ServerUnaryCall<unknown, DeregisterResponseMsg>, callback: grpc.sendUnaryData<DeregisterResponseMsg>) => port!.onDeregister(call, callback),
      controlPlane: (stream: ControlStream) => port!.onControlPlane(stream),
    });
    const bound = await bindServer(server, config.host, config.port, credentials.server, 'the provider port');
    port = new ProviderPort(directory, controlPlane, server, bound);
    if (options.registry) metrics.register(options.registry);
    controlPlane.start();
    logger.info({ providerPort: bound, host: config.host, tls: config.tls ? (config.tls.caFile ? 'mutual' : 'on') : 'off', token: config.token ? 'on' : 'off' }, `provider port open on ${config.host}:${bound}`);
    return port;
  }

  private refuse(call: { metadata: grpc.Metadata }, what: string): grpc.ServiceError | undefined {
    const error = (code: grpc.status, details: string) => Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
    if (!tokenAccepted(this.directory.config.token, call.metadata)) return error(grpc.status.UNAUTHENTICATED, `${what}: missing or wrong provider token (authorization: Bearer <token>)`);
    return undefined;
  }

  private onRegister(call: grpc.ServerUnaryCall<unknown, RegisterResponseMsg>, callback: grpc.sendUnaryData<RegisterResponseMsg>): void {
    const refused = this.refuse(call, 'Register');
    if (refused) {
      this.directory.metrics.onRegistration('rejected', 'unauthenticated');
      callback(refused);
      return;
    }
    if (!this.accepting) {
      this.directory.metrics.onRegistration('rejected', 'draining');
      callback({ code: grpc.status.UNAVAILABLE, details: 'the server is shutting down: register with another instance' });
      return;
    }
    try {
      callback(null, register(this.directory, call.request, call.metadata));
    } catch (e) {
      if (e instanceof RegistrationError) {
        this.directory.metrics.onRegistration('rejected', e.reason);
        callback({ code: e.code, details: e.message });
      } else {
        this.directory.log.error({ err: e instanceof Error ? e.stack : String(e) }, 'Register failed');
        callback({ code: grpc.status.INTERNAL, details: 'internal error while registering' });
      }
    }
  }

  private onDeregister(call: grpc.ServerUnaryCall<unknown, DeregisterResponseMsg>, callback: grpc.sendUnaryData<DeregisterResponseMsg>): void {
    const refused = this.refuse(call, 'Deregister');
    if (refused) {
      callback(refused);
      return;
    }
    try {
      callback(null, deregister(this.directory, call.request));
    } catch (e) {
      if (e instanceof RegistrationError) callback({ code: e.code, details: e.message });
      else {
        this.directory.log.error({ err: e instanceof Error ? e.stack : String(e) }, 'Deregister failed');
        callback({ code: grpc.status.INTERNAL, details: 'internal error while deregistering' });
      }
    }
  }

  private onControlPlane(stream: ControlStream): void {
    const refused = this.refuse(stream, 'ControlPlane');
    if (refused) {
      stream.emit('error', refused);
      return;
    }
    this.controlPlane.handle(stream);
  }

  /** `GET /providers`: every live connection. */
  list(): ProviderInfo[] {
    return [...this.directory.connections.values()].map((c) => c.info()).sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.registeredAt < b.registeredAt ? -1 : 1));
  }

  /** `POST /providers/{id}/drain`. */
  drainConnection(connectionId: string, reason: string, deadline: number): DrainOutcome | 'not-found' {
    const conn = this.directory.connections.get(connectionId);
    if (!conn) return 'not-found';
    return drainProvider(this.directory, conn, reason, deadline);
  }

  /** From now on, Register is refused with UNAVAILABLE. */
  stopRegistrations(): void {
    this.accepting = false;
  }

  /**
   * The server's drain: no new registrations; providers keep serving the executions still
   * running; resolves when none runs and no provider call is in flight, or at `deadline`.
   */
  async drain(deadline: number): Promise<void> {
    this.accepting = false;
    await serverDrained(this.directory, deadline);
  }

  /** Withdraws every connection and stops the server. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.accepting = false;
    this.controlPlane.stop();
    for (const conn of [...this.directory.connections.values()]) {
      this.directory.withdraw(conn, { reason: 'server shutting down', failInFlight: true, streamStatus: { code: grpc.status.UNAVAILABLE, details: 'the server is shutting down' } });
    }
    await stopServer(this.server, 2000);
    this.directory.channels.closeAll();
    this.directory.metrics.unregister();
  }
}
