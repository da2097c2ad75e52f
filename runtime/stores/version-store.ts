import type { CasOutcome, Revisioned } from './revision.js';
import { RevisionedMap } from './revision.js';

/**
 * Pipeline versions: per pipeline name an ordered list of versions and the active one. The
 * active version is the one the name's alias points to (docs/decisions.md #20); the catalogue
 * keeps the two in step. A named compile of an unchanged source adds no version (#17).
 *
 * Reads are synchronous (every implementation keeps a local view); writes are compare-and-set
 * on the name's whole history, because two instances may append a version at the same moment.
 */

export interface PipelineVersion {
  readonly version: number;
  readonly structuralHash: string;
  readonly createdAt: string;
  readonly source: string | null;
}

export interface VersionHistory {
  /** Oldest first. */
  readonly versions: readonly PipelineVersion[];
  /** The active version number; 0 when none is. */
  readonly active: number;
}

export interface VersionStore {
  /** The name's history with its revision; `undefined` when the name has none. */
  get(name: string): Revisioned<VersionHistory> | undefined;
  /** Every name with a history. */
  names(): Iterable<string>;
  /** Replaces the history if it is still at `expectedRevision` (0: creates it). */
  put(name: string, history: VersionHistory, expectedRevision: number): Promise<CasOutcome<VersionHistory>>;
  /** Reloads the local view from the authority (a network store after a reconnect). */
  resync?(): Promise<void>;
}

export class MemoryVersionStore implements VersionStore {
  protected readonly histories = new RevisionedMap<VersionHistory>();

  get(name: string): Revisioned<VersionHistory> | undefined {
    return this.histories.get(name);
  }

  names(): Iterable<string> {
    return this.histories.keys();
  }

  async put(name: string, history: VersionHistory, expectedRevision: number): Promise<CasOutcome<VersionHistory>> {
    return this.histories.compareAndSet(name, history, expectedRevision);
  }
}

/** The history with one more version (max + 1), optionally made active. */
export function withNewVersion(history: VersionHistory | undefined, structuralHash: string, source: string | null, activate: boolean, now = new Date()): { history: VersionHistory; version: PipelineVersion } {
  const versions = history?.versions ?? [];
  const version: PipelineVersion = {
    version: versions.reduce((m, v) => Math.max(m, v.version), 0) + 1,
    structuralHash,
    createdAt: now.toISOString(),
    source,
  };
  return { history: { versions: [...versions, version], active: activate ? version.version : (history?.active ?? 0) }, version };
}

export function activeVersion(history: VersionHistory | undefined): PipelineVersion | undefined {
  return history?.versions.find((v) => v.version === history.active);
}
