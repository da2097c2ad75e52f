import type { ModuleLimits } from '../runtime/engine/limits.js';
import type { ClusterNode } from './node.js';

/**
 * Cluster-wide `throttle` (CONSTELLATION_THROTTLE_SPLIT=true; off by default): each instance
 * uses `1 / members` of every throttle budget, where members are the instances alive and
 * serving (starting or running; this one included), re-evaluated whenever membership changes.
 * Cheap and approximate — no shared token bucket, no call waits on NATS: while membership is
 * settling (a peer just died or joined) the cluster's total may be off by one instance's share.
 */
export class ThrottleSplit {
  members = 1;

  constructor(private readonly node: ClusterNode, private readonly limits: ModuleLimits) {}

  start(): void {
    this.node.membership.onPeerChange(() => this.update());
    this.update();
  }

  update(): void {
    const serving = this.node.membership.members().filter((m) => m.self || (m.liveness !== 'dead' && (m.state === 'starting' || m.state === 'running'))).length;
    this.members = Math.max(1, serving);
    this.limits.setShare(1 / this.members);
  }
}
