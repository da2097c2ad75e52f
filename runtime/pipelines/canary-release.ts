import { parseDuration } from '../../server/config.js';

/**
 * Canary releases of a pipeline name (http-api.md §6), with DECISIONS.md #20 applied instead of
 * the reference's quirks: every promotion step's weight is used (initialWeight first, then each
 * of promotionSteps in turn); the status is `promoting` while a promoted step is being observed
 * (after the first promotion, before completion); a finished canary stays readable with its
 * final status until a new one starts; the alias only moves when the canary completes.
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

export const DEFAULT_CANARY: CanaryConfig = {
  initialWeight: 0.05,
  promotionSteps: [0.1, 0.25, 0.5, 1.0],
  observationWindowMs: 5 * 60_000,
  errorThreshold: 0.05,
  latencyThresholdMs: null,
  minRequests: 10,
  autoPromote: true,
};

export type CanaryStatus = 'observing' | 'promoting' | 'rolled_back' | 'complete';

const MAX_SAMPLES = 10_000;

class VersionMetrics {
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

export interface CanaryVersion {
  readonly version: number;
  readonly structuralHash: string;
}

export class Canary {
  status: CanaryStatus = 'observing';
  step = 0;
  weight: number;
  readonly startedAt = new Date();
  private stepStartedAt = Date.now();
  oldMetrics = new VersionMetrics();
  newMetrics = new VersionMetrics();

  constructor(readonly pipelineName: string, readonly oldVersion: CanaryVersion, readonly newVersion: CanaryVersion, readonly config: CanaryConfig, private readonly now: () => number = Date.now) {
    this.weight = config.initialWeight;
    this.stepStartedAt = now();
  }

  get active(): boolean {
    return this.status === 'observing' || this.status === 'promoting';
  }

  /** The hash to run for one request. */
  choose(random = Math.random()): string {
    return random < this.weight ? this.newVersion.structuralHash : this.oldVersion.structuralHash;
  }

  /** Records an outcome; returns the status after automatic evaluation. */
  record(hash: string, success: boolean, latencyMs: number): CanaryStatus {
    if (!this.active) return this.status;
    (hash === this.newVersion.structuralHash ? this.newMetrics : this.oldMetrics).record(success, latencyMs);
    if (this.config.autoPromote) this.evaluate();
    return this.status;
  }

  private evaluate(): void {
    if (this.newMetrics.requests < this.config.minRequests) return;
    if (this.now() - this.stepStartedAt < this.config.observationWindowMs) return;
    if (this.newMetrics.errorRate > this.config.errorThreshold) {
      this.status = 'rolled_back';
      return;
    }
    if (this.config.latencyThresholdMs !== null && this.newMetrics.p99 > this.config.latencyThresholdMs) {
      this.status = 'rolled_back';
      return;
    }
    this.promote();
  }

  /** Advances one step: the next weight of promotionSteps; reaching weight 1 (or the end) completes. */
  promote(): void {
    if (!this.active) return;
    const steps = this.config.promotionSteps;
    const next = this.step + 1;
    this.step = next;
    if (next > steps.length || steps[next - 1]! >= 1) {
      this.status = 'complete';
      this.weight = 1;
      return;
    }
    this.weight = steps[next - 1]!;
    this.status = 'promoting';
    this.stepStartedAt = this.now();
    this.newMetrics = new VersionMetrics();
  }

  rollback(): void {
    if (this.active) this.status = 'rolled_back';
  }

  toJSON() {
    return {
      pipelineName: this.pipelineName,
      oldVersion: this.oldVersion,
      newVersion: this.newVersion,
      currentWeight: this.weight,
      currentStep: this.step,
      status: this.status,
      startedAt: this.startedAt.toISOString(),
      metrics: { oldVersion: this.oldMetrics.toJSON(), newVersion: this.newMetrics.toJSON() },
    };
  }
}

export class CanaryRouter {
  private readonly canaries = new Map<string, Canary>();

  get(name: string): Canary | undefined {
    return this.canaries.get(name);
  }

  active(name: string): Canary | undefined {
    const c = this.canaries.get(name);
    return c && c.active ? c : undefined;
  }

  /** Every canary record, running or finished. */
  list(): Canary[] {
    return [...this.canaries.values()];
  }

  start(name: string, oldVersion: CanaryVersion, newVersion: CanaryVersion, config: CanaryConfig): Canary {
    const c = new Canary(name, oldVersion, newVersion, config);
    this.canaries.set(name, c);
    return c;
  }
}

export function canaryConfigFrom(request: {
  initialWeight?: number | undefined;
  promotionSteps?: number[] | undefined;
  observationWindow?: string | undefined;
  errorThreshold?: number | undefined;
  latencyThresholdMs?: number | undefined;
  minRequests?: number | undefined;
  autoPromote?: boolean | undefined;
}): CanaryConfig {
  const window = request.observationWindow !== undefined ? parseDuration(request.observationWindow) : undefined;
  return {
    initialWeight: request.initialWeight ?? DEFAULT_CANARY.initialWeight,
    promotionSteps: request.promotionSteps ?? DEFAULT_CANARY.promotionSteps,
    observationWindowMs: window ?? DEFAULT_CANARY.observationWindowMs,
    errorThreshold: request.errorThreshold ?? DEFAULT_CANARY.errorThreshold,
    latencyThresholdMs: request.latencyThresholdMs ?? null,
    minRequests: request.minRequests ?? DEFAULT_CANARY.minRequests,
    autoPromote: request.autoPromote ?? DEFAULT_CANARY.autoPromote,
  };
}
