import type * as grpc from '@grpc/grpc-js';
import { PROTOCOL_VERSION, type ControlMessageMsg } from './proto.js';
import type { WireType } from './type-schema.js';

/**
 * One provider session: what a successful `Register` creates. It owns (or shares, in a group)
 * a namespace, offers modules at an executor address, and lives while its control-plane stream
 * does.
 *
 * States: `Registered` (no control stream yet) → `Active` (first control message) →
 * `Draining` (a drain was requested: no new calls are routed to it from that moment, whether or
 * not the provider acknowledges — the reference SDKs never do) → `Disconnected` (terminal: its
 * stream ended, it missed its heartbeats, it was deregistered or force-closed after its drain
 * deadline; cleanup has run).
 */

export type ConnectionState = 'Registered' | 'Active' | 'Draining' | 'Disconnected';

/** A module as a provider declared it (types on the wire, before conversion to engine types). */
export interface DeclaredModule {
  readonly name: string;
  readonly input: WireType;
  readonly output: WireType;
  readonly version: string;
  readonly description: string;
  /** Canonical text of both schemas: equal texts, same module shape. */
  readonly shape: string;
}

export type ControlStream = grpc.ServerDuplexStream<ControlMessageMsg, ControlMessageMsg>;

/** A call in flight to this connection's executor: failing it settles the node at once. */
export interface InFlightCall {
  fail(error: Error): void;
}

export interface DrainState {
  readonly reason: string;
  /** Epoch ms the provider was told to be done by. */
  readonly deadline: number;
  readonly requestedAt: number;
  /** The DrainRequest went out (it waits for the control stream when there is none yet). */
  sent: boolean;
  acknowledged: boolean;
  /** In-flight count the provider reported in its DrainAck. */
  reportedInFlight: number | undefined;
}

export class ProviderConnection {
  state: ConnectionState = 'Registered';
  readonly registeredAt = Date.now();
  controlPlaneAt: number | undefined;
  lastHeartbeatAt: number | undefined;
  stream: ControlStream | undefined;
  drain: DrainState | undefined;
  /** Why it ended (for the log and the listing of recently closed connections). */
  endReason: string | undefined;
  readonly inFlight = new Set<InFlightCall>();

  constructor(
    readonly id: string,
    readonly namespace: string,
    readonly executorUrl: string,
    /** The gRPC target the executor is called at. */
    readonly executorTarget: string,
    readonly groupId: string,
    readonly protocolVersion: number,
    /** Short name → declaration. Replaced as a whole by an in-place re-registration. */
    public modules: ReadonlyMap<string, DeclaredModule>,
    /** The executor serves TLS (the provider said so when it registered). */
    readonly executorTls: boolean,
  ) {}

  /** May calls be routed to it? */
  get routable(): boolean {
    return this.state === 'Registered' || this.state === 'Active';
  }

  get qualifiedNames(): string[] {
    return [...this.modules.keys()].map((m) => `${this.namespace}.${m}`);
  }

  /** Fails every call in flight to its executor (the provider is gone: nothing will answer). */
  failInFlight(error: Error): void {
    for (const call of [...this.inFlight]) call.fail(error);
    this.inFlight.clear();
  }

  /** What `GET /providers` shows. */
  info(): ProviderInfo {
    return {
      connectionId: this.id,
      namespace: this.namespace,
      executorUrl: this.executorUrl,
      groupId: this.groupId,
      modules: [...this.modules.keys()].sort(),
      state: this.state,
      protocolVersion: this.protocolVersion,
      registeredAt: new Date(this.registeredAt).toISOString(),
      controlPlaneAt: this.controlPlaneAt === undefined ? null : new Date(this.controlPlaneAt).toISOString(),
      lastHeartbeatAt: this.lastHeartbeatAt === undefined ? null : new Date(this.lastHeartbeatAt).toISOString(),
      inFlightCalls: this.inFlight.size,
      drain: this.drain
        ? { reason: this.drain.reason, deadline: new Date(this.drain.deadline).toISOString(), acknowledged: this.drain.acknowledged, reportedInFlight: this.drain.reportedInFlight ?? null }
        : null,
    };
  }
}

export interface ProviderInfo {
  readonly connectionId: string;
  readonly namespace: string;
  readonly executorUrl: string;
  readonly groupId: string;
  readonly modules: readonly string[];
  readonly state: ConnectionState;
  readonly protocolVersion: number;
  readonly registeredAt: string;
  readonly controlPlaneAt: string | null;
  readonly lastHeartbeatAt: string | null;
  readonly inFlightCalls: number;
  readonly drain: { reason: string; deadline: string; acknowledged: boolean; reportedInFlight: number | null } | null;
}

/** Writes a control message; a stream that broke meanwhile is left to its error handler. */
export function sendControl(stream: ControlStream, msg: ControlMessageMsg): boolean {
  if (stream.destroyed || stream.writableEnded) return false;
  try {
    stream.write({ protocolVersion: PROTOCOL_VERSION, ...msg });
    return true;
  } catch {
    return false;
  }
}
