import type { CasOutcome, Revisioned } from '../../runtime/stores/revision.js';
import type { VersionHistory, VersionStore } from '../../runtime/stores/version-store.js';
import { KvView } from '../kv-view.js';
import { decodeName } from '../naming.js';
import type { ClusterNode } from '../node.js';
import { versionsEnvelope } from './records.js';

/**
 * The shared version store: each name's whole history in `cst_<c>_versions` (key = encoded
 * name), mirrored in memory. Writes are compare-and-set on the key's KV revision: when two
 * instances append a version at the same moment, one write wins and the other is refused with
 * the winner's history, from which the catalogue recomputes its change. Nothing is lost.
 */
export class NatsVersionStore implements VersionStore {
  private readonly view: KvView<{ name: string; history: VersionHistory }>;

  constructor(private readonly node: ClusterNode) {
    this.view = new KvView({ node, spec: { purpose: 'versions', description: 'Constellation: pipeline version histories' }, codec: versionsEnvelope, isKey: (k) => decodeName(k) !== undefined });
  }

  private key(name: string): string | undefined {
    return this.node.names.keyOf(name);
  }

  get(name: string): Revisioned<VersionHistory> | undefined {
    const key = this.key(name);
    const e = key === undefined ? undefined : this.view.get(key);
    return e && e.value.name === name ? { value: e.value.history, revision: e.revision } : undefined;
  }

  *names(): Iterable<string> {
    for (const [, e] of this.view.entries()) yield e.value.name;
  }

  async put(name: string, history: VersionHistory, expectedRevision: number): Promise<CasOutcome<VersionHistory>> {
    const key = this.key(name);
    if (key === undefined) throw new Error(`pipeline name too long for the shared store (${name.length} characters)`);
    const outcome = await this.view.compareAndSet(key, { name, history }, expectedRevision);
    if (outcome.ok) return outcome;
    return { ok: false, current: outcome.current ? { value: outcome.current.value.history, revision: outcome.current.revision } : undefined };
  }

  resync(): Promise<void> {
    return this.view.synchronise();
  }
}
