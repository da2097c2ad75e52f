import * as grpc from '@grpc/grpc-js';
import { sendControl, type ControlStream, type ProviderConnection } from './connection.js';
import type { ProviderDirectory } from './directory.js';
import { sendDrainRequest } from './draining.js';
import type { ControlMessageMsg } from './proto.js';

/**
 * The control plane: one bidirectional stream per connection, and the liveness monitor.
 *
 * The first message on a stream must carry the connection id a `Register` returned; it binds
 * the stream to that connection (`Registered` → `Active`; a connection drained before its
 * stream opened stays `Draining` and gets its DrainRequest now). From then on every message on the
 * stream belongs to that connection, whatever its `connection_id` field says (the reference SDK
 * sends its DrainAck without one; docs/decisions.md #26); a message naming another connection is ignored — a stream
 * can never touch another provider. A second stream for a bound connection is refused.
 *
 * Heartbeats are answered with a HeartbeatAck echoing their timestamp. When the provider ends
 * its side of the stream (how the reference SDK stops: stream first, then Deregister) the
 * connection is withdrawn at once; calls in flight to its executor may still finish. When the
 * stream breaks (the process died) the calls in flight fail at once.
 *
 * The monitor runs every `monitorIntervalMs`: a connection still `Registered` after the
 * control-plane timeout, or `Active` without a heartbeat for the heartbeat timeout, is closed
 * (calls in flight fail: nothing will answer them); a `Draining` one is force-closed once its
 * deadline plus the grace period has passed. Every report interval, each `Active` connection
 * gets an ActiveModulesReport of the modules the server holds for it.
 */

export class ControlPlane {
  private monitorTimer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;

  constructor(private readonly directory: ProviderDirectory) {}

  start(): void {
    const { config } = this.directory;
    this.monitorTimer = setInterval(() => this.checkLiveness(Date.now()), config.monitorIntervalMs);
    this.monitorTimer.unref();
    this.reportTimer = setInterval(() => this.sendReports(), config.reportIntervalMs);
    this.reportTimer.unref();
  }

  stop(): void {
    clearInterval(this.monitorTimer);
    clearInterval(this.reportTimer);
  }

  /** The `ControlPlane` RPC. */
  readonly handle = (stream: ControlStream): void => {
    let conn: ProviderConnection | undefined;
    stream.on('data', (msg: ControlMessageMsg) => {
      if (!conn) {
        conn = this.bind(stream, msg);
        if (!conn) return;
      } else if (msg.connectionId && msg.connectionId !== conn.id) {
        this.directory.log.warn({ connectionId: conn.id, claimed: msg.connectionId }, 'control message naming another connection ignored');
        return;
      }
      this.onMessage(conn, stream, msg);
    });
    stream.on('end', () => {
      // the provider ended its side: it is leaving
      if (conn && conn.stream === stream) this.directory.withdraw(conn, { reason: 'control stream ended by the provider', failInFlight: false });
      else if (!stream.writableEnded) stream.end();
    });
    const broken = (why: string) => {
      if (conn && conn.stream === stream) this.directory.withdraw(conn, { reason: why, failInFlight: true });
    };
    stream.on('error', (e: Error) => broken(`control stream broke: ${e.message}`));
    stream.on('cancelled', () => broken('control stream cancelled (the provider went away)'));
  };

  private bind(stream: ControlStream, msg: ControlMessageMsg): ProviderConnection | undefined {
    const refuse = (code: grpc.status, details: string) => {
      this.directory.log.warn({ connectionId: msg.connectionId ?? '' }, `control stream refused: ${details}`);
      stream.emit('error', { code, details });
    };
    const id = msg.connectionId ?? '';
    if (!id) {
      refuse(grpc.status.INVALID_ARGUMENT, 'the first control message must carry the connection_id returned by Register');
      return undefined;
    }
    const conn = this.directory.connections.get(id);
    if (!conn) {
      refuse(grpc.status.NOT_FOUND, `no live connection '${id}' (register again)`);
      return undefined;
    }
    if (conn.stream && !conn.stream.destroyed) {
      refuse(grpc.status.ALREADY_EXISTS, `connection '${id}' already has a control stream`);
      return undefined;
    }
    conn.stream = stream;
    const now = Date.now();
    conn.controlPlaneAt = now;
    conn.lastHeartbeatAt = now;
    if (conn.state === 'Registered') conn.state = 'Active';
    // a drain requested before the stream opened is told now
    sendDrainRequest(conn);
    return conn;
  }

  private onMessage(conn: ProviderConnection, stream: ControlStream, msg: ControlMessageMsg): void {
    switch (msg.payload) {
      case 'heartbeat': {
        const timestamp = msg.heartbeat?.timestamp ?? 0;
        if (conn.state === 'Active' || conn.state === 'Draining') conn.lastHeartbeatAt = Date.now();
        this.directory.metrics.onHeartbeat(timestamp);
        sendControl(stream, { protocolVersion: conn.protocolVersion, connectionId: conn.id, heartbeatAck: { timestamp } });
        return;
      }
      case 'drainAck': {
        if (conn.drain) {
          conn.drain.acknowledged = msg.drainAck?.accepted !== false;
          conn.drain.reportedInFlight = msg.drainAck?.inFlightCount ?? 0;
        }
        return;
      }
      default:
        // a message kind the server does not take from providers (or a later version's): ignored
        return;
    }
  }

  checkLiveness(now: number): void {
    const { config } = this.directory;
    for (const conn of [...this.directory.connections.values()]) {
      if (conn.state === 'Registered' && now - conn.registeredAt > config.controlPlaneTimeoutMs) {
        this.directory.withdraw(conn, { reason: `no control stream within ${config.controlPlaneTimeoutMs} ms of registering`, failInFlight: true });
      } else if (conn.state === 'Active' && now - (conn.lastHeartbeatAt ?? conn.registeredAt) > config.heartbeatTimeoutMs) {
        this.directory.withdraw(conn, {
          reason: `no heartbeat for ${config.heartbeatTimeoutMs} ms`,
          failInFlight: true,
          streamStatus: { code: grpc.status.DEADLINE_EXCEEDED, details: `no heartbeat for ${config.heartbeatTimeoutMs} ms: connection closed` },
        });
      } else if (conn.state === 'Draining' && conn.drain && now > conn.drain.deadline + config.drainGraceMs) {
        this.directory.withdraw(conn, {
          reason: 'drain deadline passed',
          failInFlight: true,
          streamStatus: { code: grpc.status.DEADLINE_EXCEEDED, details: 'drain deadline passed: connection closed' },
        });
      }
    }
  }

  sendReports(): void {
    for (const conn of this.directory.connections.values()) {
      if (conn.state !== 'Active' || !conn.stream) continue;
      sendControl(conn.stream, { protocolVersion: conn.protocolVersion, connectionId: conn.id, activeModulesReport: { activeModules: [...conn.modules.keys()].sort() } });
    }
  }
}
