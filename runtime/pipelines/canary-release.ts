import type { CanaryConfig, CanaryState, CanaryVersion } from '../stores/canary-store.js';

/**
 * Canary releases of a pipeline name: the state machine over the stored `CanaryState` and the
 * request metrics each instance observes. Where the reference has quirks, this follows
 * docs/decisions.md #20: every promotion step's weight is used (initialWeight first, then each
 * of promotionSteps in turn); the status is `promoting` while a promoted step is observed
 * (after the first promotion, before completion); a finished canary stays readable with its
 * final status until a new one starts; the alias only moves when the canary completes.
 *
 * Transitions are pure functions returning the next state: the catalogue writes it with
 * compare-and-set, so concurrent deciders (requests, instances) cannot both apply one.
 */

export const DEFAULT_CANARY: CanaryConfig = {
  initialWeight: 0.05,
  promotionSteps: [0.1, 0.25, 0.5, 1.0],
  observationWindowMs: 5 * 60_000,
  errorThreshold: 0.05,
  latencyThresholdMs: null,
  minRequests: 10,
  autoPromote: true,
};

const MAX_SAMPLES = 10_000;

/** Outcomes of one version's requests: counts, mean latency and a uniform latency sample for p99. */
export class VersionMetrics {
  requests = 0;
  successes = 0;
  failures = 0;
  private latencySum = 0;
  private samples: number[] = [];
  private seen = 0;

  record(success: boolean, latencyMs: number): void {
    this.requests++;
    if (success) this.successes++;
    else this.failures++;
    this.latencySum += latencyMs;
    // reservoir sampling keeps a uniform sample of at most MAX_SAMPLES latencies
    this.seen++;
    if (this.samples.length < MAX_SAMPLES) this.samples.push(latencyMs);
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < MAX_SAMPLES) this.samples[j] = latencyMs;
    }
  }

  get errorRate(): number {
    return this.requests === 0 ? 0 : this.failures / this.requests;
  }

  get p99(): number {
    if (this.samples.length === 0) return 0;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * 0.99) - 1))]!;
  }

  toJSON() {
    return { requests: this.requests, successes: this.successes, failures: this.failures, avgLatencyMs: this.requests === 0 ? 0 : this.latencySum / this.requests, p99LatencyMs: this.p99 };
  }
}

/** What this instance observed of one canary; the new version's metrics restart with each step. */
export class CanaryMetrics {
  oldVersion = new VersionMetrics();
  newVersion = new VersionMetrics();
  constructor(readonly startedAt: string, public step: number) {}

  /**
   * Follows the stored state: a new canary of the name starts fresh counts, and so does the new
   * version's side at each promoted step that is observed; completion keeps the last step's counts.
   */
  static follow(current: CanaryMetrics | undefined, state: CanaryState): CanaryMetrics {
    if (!current || current.startedAt !== state.startedAt) return new CanaryMetrics(state.startedAt, state.step);
    if (current.step !== state.step) {
      current.step = state.step;
      if (isRunning(state)) current.newVersion = new VersionMetrics();
    }
    return current;
  }
}

export function startCanary(pipelineName: string, oldVersion: CanaryVersion, newVersion: CanaryVersion, config: CanaryConfig, now: number): CanaryState {
  return { pipelineName, oldVersion, newVersion, config, status: 'observing', step: 0, weight: config.initialWeight, startedAt: new Date(now).toISOString(), stepStartedAt: now };
}

export function isRunning(state: CanaryState): boolean {
  return state.status === 'observing' || state.status === 'promoting';
}

/** The hash to run for one request. */
export function chooseHash(state: CanaryState, random: number): string {
  return random < state.weight ? state.newVersion.structuralHash : state.oldVersion.structuralHash;
}

/** One step on: the next weight of promotionSteps; reaching weight 1 (or the end) completes. */
export function promoted(state: CanaryState, now: number): CanaryState {
  if (!isRunning(state)) return state;
  const steps = state.config.promotionSteps;
  const next = state.step + 1;
  if (next > steps.length || steps[next - 1]! >= 1) return { ...state, step: next, status: 'complete', weight: 1 };
  return { ...state, step: next, weight: steps[next - 1]!, status: 'promoting', stepStartedAt: now };
}

export function rolledBack(state: CanaryState): CanaryState {
  return isRunning(state) ? { ...state, status: 'rolled_back' } : state;
}

/**
 * The automatic decision after an outcome: `undefined` while the step is still observed (too few
 * requests, window not over), else the rolled-back or promoted state.
 */
export function evaluate(state: CanaryState, metrics: CanaryMetrics, now: number): CanaryState | undefined {
  const { config } = state;
  if (!config.autoPromote || !isRunning(state)) return undefined;
  const observed = metrics.newVersion;
  if (observed.requests < config.minRequests) return undefined;
  if (now - state.stepStartedAt < config.observationWindowMs) return undefined;
  if (observed.errorRate > config.errorThreshold) return rolledBack(state);
  if (config.latencyThresholdMs !== null && observed.p99 > config.latencyThresholdMs) return rolledBack(state);
  return promoted(state, now);
}

/** The canary's JSON (the API's CanaryState). */
export function canaryJson(state: CanaryState, metrics: CanaryMetrics | undefined) {
  const m = metrics && metrics.startedAt === state.startedAt ? metrics : new CanaryMetrics(state.startedAt, state.step);
  return {
    pipelineName: state.pipelineName,
    oldVersion: state.oldVersion,
    newVersion: state.newVersion,
    currentWeight: state.weight,
    currentStep: state.step,
    status: state.status,
    startedAt: state.startedAt,
    metrics: { oldVersion: m.oldVersion.toJSON(), newVersion: m.newVersion.toJSON() },
  };
}
