import type { CasOutcome, Revisioned } from './revision.js';
import { RevisionedMap } from './revision.js';

/**
 * The state of each pipeline name's canary release (running or last finished), as plain data so
 * a network store can hold it. Writes are compare-and-set: on a cluster every instance observes
 * its own traffic and may decide a promotion or a rollback at the same moment; the first write
 * wins and the others see the new state. Request counts and latencies are not stored here: each
 * instance keeps its own (runtime/pipelines/canary-release.ts).
 */

export interface CanaryConfig {
  readonly initialWeight: number;
  readonly promotionSteps: readonly number[];
  readonly observationWindowMs: number;
  readonly errorThreshold: number;
  readonly latencyThresholdMs: number | null;
  readonly minRequests: number;
  readonly autoPromote: boolean;
}

export type CanaryStatus = 'observing' | 'promoting' | 'rolled_back' | 'complete';

export interface CanaryVersion {
  readonly version: number;
  readonly structuralHash: string;
}

export interface CanaryState {
  readonly pipelineName: string;
  readonly oldVersion: CanaryVersion;
  readonly newVersion: CanaryVersion;
  readonly config: CanaryConfig;
  readonly status: CanaryStatus;
  readonly step: number;
  /** Share of requests routed to the new version. */
  readonly weight: number;
  /** ISO time the canary started (also tells one canary of a name from the next). */
  readonly startedAt: string;
  /** Epoch ms the current step started (its observation window runs from here). */
  readonly stepStartedAt: number;
}

export interface CanaryStore {
  get(name: string): Revisioned<CanaryState> | undefined;
  list(): Iterable<Revisioned<CanaryState>>;
  /** Replaces the name's state if it is still at `expectedRevision` (0: creates it). */
  put(name: string, state: CanaryState, expectedRevision: number): Promise<CasOutcome<CanaryState>>;
  resync?(): Promise<void>;
}

/** The default: canary state lives as long as the process (as in the reference). */
export class MemoryCanaryStore implements CanaryStore {
  private readonly states = new RevisionedMap<CanaryState>();

  get(name: string): Revisioned<CanaryState> | undefined {
    return this.states.get(name);
  }

  list(): Iterable<Revisioned<CanaryState>> {
    return this.states.values();
  }

  async put(name: string, state: CanaryState, expectedRevision: number): Promise<CasOutcome<CanaryState>> {
    return this.states.compareAndSet(name, state, expectedRevision);
  }
}
