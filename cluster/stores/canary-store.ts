import type { CanaryState, CanaryStore } from '../../runtime/stores/canary-store.js';
import type { CasOutcome, Revisioned } from '../../runtime/stores/revision.js';
import { KvView } from '../kv-view.js';
import { decodeName } from '../naming.js';
import type { ClusterNode } from '../node.js';
import { canaryEnvelope } from './records.js';

/**
 * The shared canary-state store: each name's canary (running or last finished) in
 * `cst_<c>_canary` (key = encoded name), mirrored in memory so routing a request is a map
 * lookup. Transitions are compare-and-set: instances observing their own traffic may decide a
 * promotion at the same moment; the first write wins and the others see the new state.
 */
export class NatsCanaryStore implements CanaryStore {
  private readonly view: KvView<{ name: string; state: CanaryState }>;

  constructor(private readonly node: ClusterNode) {
    this.view = new KvView({ node, spec: { purpose: 'canary', description: 'Constellation: pipeline canary releases' }, codec: canaryEnvelope, isKey: (k) => decodeName(k) !== undefined });
  }

  private key(name: string): string | undefined {
    return this.node.names.keyOf(name);
  }

  get(name: string): Revisioned<CanaryState> | undefined {
    const key = this.key(name);
    const e = key === undefined ? undefined : this.view.get(key);
    return e && e.value.name === name ? { value: e.value.state, revision: e.revision } : undefined;
  }

  *list(): Iterable<Revisioned<CanaryState>> {
    for (const [, e] of this.view.entries()) yield { value: e.value.state, revision: e.revision };
  }

  async put(name: string, state: CanaryState, expectedRevision: number): Promise<CasOutcome<CanaryState>> {
    const key = this.key(name);
    if (key === undefined) throw new Error(`pipeline name too long for the shared store (${name.length} characters)`);
    const outcome = await this.view.compareAndSet(key, { name, state }, expectedRevision);
    if (outcome.ok) return outcome;
    return { ok: false, current: outcome.current ? { value: outcome.current.value.state, revision: outcome.current.revision } : undefined };
  }

  resync(): Promise<void> {
    return this.view.synchronise();
  }
}
