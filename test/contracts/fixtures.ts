import { compile } from '../../runtime/compiler/compile.js';
import { SNAPSHOT_FORMAT_VERSION, type ExecutionSnapshot } from '../../runtime/engine/suspension.js';
import { standardRegistry } from '../../runtime/stdlib/index.js';
import type { CanaryState } from '../../runtime/stores/canary-store.js';
import { IMAGE_FORMAT_VERSION, type PipelineImage } from '../../runtime/stores/pipeline-store.js';
import type { VersionHistory } from '../../runtime/stores/version-store.js';

/** Sample records for the contract suites: real compiled images, snapshots, histories. */

const registry = standardRegistry();

/** A real image (compiled, so every store's validation accepts it); `n` makes distinct pipelines. */
export function sampleImage(n: number): PipelineImage {
  const result = compile(`in x: Int\ny = x + ${n}\nout y\n`, registry);
  if (!result.ok || !result.dag) throw new Error('sample pipeline does not compile');
  return {
    formatVersion: IMAGE_FORMAT_VERSION,
    structuralHash: result.hashes.structural!,
    syntacticHash: result.hashes.syntactic,
    registryHash: registry.hash(),
    dag: result.dag,
    sourceMap: result.sourceMap,
    source: `pipeline ${n}`,
    compiledAt: new Date(1_700_000_000_000 + n).toISOString(),
  };
}

export function sampleHistory(hash: string, versions = 1): VersionHistory {
  return {
    versions: Array.from({ length: versions }, (_, i) => ({ version: i + 1, structuralHash: hash, createdAt: new Date(1_700_000_000_000 + i).toISOString(), source: null })),
    active: versions,
  };
}

export function sampleCanary(name: string, status: CanaryState['status'] = 'observing'): CanaryState {
  return {
    pipelineName: name,
    oldVersion: { version: 1, structuralHash: 'a'.repeat(64) },
    newVersion: { version: 2, structuralHash: 'b'.repeat(64) },
    config: { initialWeight: 0.1, promotionSteps: [0.5, 1], observationWindowMs: 1000, errorThreshold: 0.05, latencyThresholdMs: null, minRequests: 10, autoPromote: true },
    status,
    step: 0,
    weight: 0.1,
    startedAt: new Date(1_700_000_000_000).toISOString(),
    stepStartedAt: 1_700_000_000_000,
  };
}

export function sampleSnapshot(id: string, options: { createdAt?: number; status?: ExecutionSnapshot['status']; hash?: string; pad?: number } = {}): ExecutionSnapshot {
  return {
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    executionId: id,
    structuralHash: options.hash ?? 'c'.repeat(64),
    resumptionCount: 0,
    status: options.status ?? 'suspended',
    providedInputs: options.pad ? { padding: 'p'.repeat(options.pad) } : {},
    computed: {},
    nodeStates: {},
    missingInputs: { b: 'CString' },
    createdAt: new Date(options.createdAt ?? Date.now()).toISOString(),
    lastResumedAt: null,
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A store under test and how to dispose of it; `reopen` (persistent stores) opens the same data anew. */
export interface Subject<T> {
  readonly store: T;
  readonly reopen?: () => Promise<T>;
  cleanup(): Promise<void>;
}

/** Opens a subject, runs `body` on it, always cleans up. */
export async function withSubject<T>(open: () => Promise<Subject<T>>, body: (subject: Subject<T>) => Promise<void>): Promise<void> {
  const subject = await open();
  try {
    await body(subject);
  } finally {
    await subject.cleanup();
  }
}
