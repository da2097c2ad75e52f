import type { CanaryState, CanaryStore } from '../../runtime/stores/canary-store.js';
import type { CasOutcome, Revisioned } from '../../runtime/stores/revision.js';
import type { ClusterNode } from '../node.js';
import { NamedRecords } from './named-records.js';
import { canaryEnvelope } from './records.js';

/**
 * The shared canary-state store: each name's canary (running or last finished) in
 * `cst_<c>_canary` (key = encoded name), mirrored in memory so routing a request is a map
 * lookup. Transitions are compare-and-set: instances observing their own traffic may decide a
 * promotion at the same moment; the first write wins and the others see the new state.
 */
export class NatsCanaryStore implements CanaryStore {
  private readonly records: NamedRecords<'state', CanaryState>;

  constructor(node: ClusterNode) {
    this.records = new NamedRecords<'state', CanaryState>(node, { purpose: 'canary', description: 'Constellation: pipeline canary releases' }, canaryEnvelope, 'state');
  }

  get(name: string): Revisioned<CanaryState> | undefined {
    return this.records.get(name);
  }

  *list(): Iterable<Revisioned<CanaryState>> {
    for (const { value, revision } of this.records.entries()) yield { value, revision };
  }

  put(name: string, state: CanaryState, expectedRevision: number): Promise<CasOutcome<CanaryState>> {
    return this.records.put(name, state, expectedRevision);
  }

  resync(): Promise<void> {
    return this.records.resync();
  }
}
