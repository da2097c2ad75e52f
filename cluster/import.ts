import { listAll, type SuspensionStore } from '../runtime/stores/suspension-store.js';
import type { PipelineStore } from '../runtime/stores/pipeline-store.js';
import type { VersionStore } from '../runtime/stores/version-store.js';
import type { ClusterStores } from './stores/index.js';

/**
 * Joining a cluster with an existing data directory: what a single instance stored on its own
 * (images, aliases, version histories, suspended executions) is copied into the shared buckets,
 * so one instance can grow into a cluster without losing anything.
 *
 * Idempotent and conservative: what the cluster already has wins. An image is content-addressed
 * (same hash, same content); an alias or a history the cluster already holds under that name is
 * kept and reported as a conflict; an execution id already stored is left alone.
 */

export interface LocalState {
  readonly pipelineStore: PipelineStore;
  readonly versionStore: VersionStore;
  readonly suspensionStore: SuspensionStore;
}

export interface ImportReport {
  readonly images: number;
  readonly aliases: number;
  readonly versions: number;
  readonly suspensions: number;
  /** Names the cluster already held differently (kept as the cluster has them). */
  readonly conflicts: readonly string[];
}

export async function importLocalState(local: LocalState, shared: ClusterStores): Promise<ImportReport> {
  let images = 0;
  let aliases = 0;
  let versions = 0;
  let suspensions = 0;
  const conflicts: string[] = [];
  // one image in memory at a time: the local store may hold more than memory
  for (const { structuralHash } of [...local.pipelineStore.summaries()]) {
    if (shared.pipelineStore.summary(structuralHash)) continue;
    const image = await local.pipelineStore.fetchImage(structuralHash);
    if (!image) continue;
    await shared.pipelineStore.putImage(image);
    images++;
  }
  for (const [name, hash] of local.pipelineStore.aliases()) {
    const theirs = shared.pipelineStore.resolveAlias(name);
    if (theirs === hash) continue;
    if (theirs !== undefined) {
      conflicts.push(`alias '${name}'`);
      continue;
    }
    await shared.pipelineStore.setAlias(name, hash);
    aliases++;
  }
  for (const name of [...local.versionStore.names()]) {
    const mine = local.versionStore.get(name);
    if (!mine) continue;
    const theirs = shared.versionStore.get(name);
    if (theirs) {
      if (JSON.stringify(theirs.value) !== JSON.stringify(mine.value)) conflicts.push(`versions of '${name}'`);
      continue;
    }
    const outcome = await shared.versionStore.put(name, mine.value, 0);
    if (outcome.ok) versions++;
    else conflicts.push(`versions of '${name}'`);
  }
  for (const summary of await listAll(local.suspensionStore)) {
    const snapshot = await local.suspensionStore.load(summary.executionId);
    if (snapshot && (await shared.suspensionStore.importSnapshot(snapshot))) suspensions++;
  }
  return { images, aliases, versions, suspensions, conflicts };
}
