import type { CasOutcome, Revisioned } from '../../runtime/stores/revision.js';
import type { VersionHistory, VersionStore } from '../../runtime/stores/version-store.js';
import type { ClusterNode } from '../node.js';
import { NamedRecords } from './named-records.js';
import { versionsEnvelope } from './records.js';

/**
 * The shared version store: each name's whole history in `cst_<c>_versions` (key = encoded
 * name), mirrored in memory. Writes are compare-and-set on the key's KV revision: when two
 * instances append a version at the same moment, one write wins and the other is refused with
 * the winner's history, from which the catalogue recomputes its change. Nothing is lost.
 */
export class NatsVersionStore implements VersionStore {
  private readonly records: NamedRecords<'history', VersionHistory>;

  constructor(node: ClusterNode) {
    this.records = new NamedRecords<'history', VersionHistory>(node, { purpose: 'versions', description: 'Constellation: pipeline version histories' }, versionsEnvelope, 'history');
  }

  get(name: string): Revisioned<VersionHistory> | undefined {
    return this.records.get(name);
  }

  *names(): Iterable<string> {
    for (const { name } of this.records.entries()) yield name;
  }

  put(name: string, history: VersionHistory, expectedRevision: number): Promise<CasOutcome<VersionHistory>> {
    return this.records.put(name, history, expectedRevision);
  }

  resync(): Promise<void> {
    return this.records.resync();
  }
}
