import { sendControl, type ProviderConnection } from './connection.js';
import type { ProviderDirectory } from './directory.js';

/**
 * Draining a provider: it is told to finish its work by an absolute deadline (epoch ms — the
 * protocol's `deadline_ms`), and from that moment no new call is routed to it, whether or not it
 * acknowledges (the reference SDKs never send a DrainAck, never stop taking calls and never
 * close their stream). A provider that ends its stream leaves as usual; one still connected
 * past its deadline plus the grace period is force-closed by the liveness monitor.
 *
 * A server that shuts down does not drain its providers (see `serverDrained`).
 */

export type DrainOutcome = 'requested' | 'already-draining';

/**
 * Marks a connection draining and tells the provider. A connection whose control stream is not
 * open yet stops taking calls now and is told as soon as its stream opens.
 */
export function drainProvider(directory: ProviderDirectory, conn: ProviderConnection, reason: string, deadline: number): DrainOutcome {
  if (conn.state === 'Draining' || conn.state === 'Disconnected') return 'already-draining';
  conn.state = 'Draining';
  conn.drain = { reason, deadline, requestedAt: Date.now(), sent: false, acknowledged: false, reportedInFlight: undefined };
  sendDrainRequest(conn);
  directory.log.info({ connectionId: conn.id, namespace: conn.namespace, reason, deadline: new Date(deadline).toISOString() }, 'provider drain requested');
  return 'requested';
}

/** Sends the pending DrainRequest, if the connection has a stream to send it on. */
export function sendDrainRequest(conn: ProviderConnection): void {
  if (!conn.drain || conn.drain.sent || !conn.stream) return;
  conn.drain.sent = sendControl(conn.stream, { protocolVersion: conn.protocolVersion, connectionId: conn.id, drainRequest: { reason: conn.drain.reason, deadlineMs: conn.drain.deadline } });
}

/**
 * The server's own drain: resolves when no execution is running and no provider call is in
 * flight, or at the deadline. Providers are not told to drain then — they keep serving the
 * executions still running; when the port closes their streams end with UNAVAILABLE and they
 * register again once the server is back (a DrainRequest would make a provider leave for good).
 */
export async function serverDrained(directory: ProviderDirectory, deadline: number, pollMs = 20): Promise<void> {
  const busy = () => directory.engine.inflightCount > 0 || [...directory.connections.values()].some((c) => c.inFlight.size > 0);
  while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - Date.now()))));
}
