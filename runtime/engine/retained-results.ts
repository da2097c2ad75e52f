import type { ExecutionResult } from './result.js';

/**
 * Results of executions that nobody waits for on a connection: runs started asynchronously
 * (`"async": true` on `/run` and `/execute`) and resumes. They are kept so that
 * `GET /executions/{id}` can answer with the body the run would have returned, for a while
 * (`ttlMs`, CONSTELLATION_RESULT_RETENTION) and within bounds (entries and bytes; the oldest
 * finished results go first). In memory only: a result is read back rarely, and an instance that
 * restarts loses what it ran anyway. Synchronous runs are not kept (their caller has the body):
 * nothing here is on their path.
 *
 * A running entry is registered before the run starts, so the id is known from the moment the
 * 202 answer leaves; it counts towards `maxEntries` (a flood of asynchronous runs is refused, not
 * remembered without bound) but is never evicted.
 */

/** Which API started the run: its body is the one that API answers with. */
export type RunVia = 'run' | 'execute' | 'resume';

export type RetainedEntry =
  | { readonly executionId: string; readonly via: RunVia; readonly startedAt: number; readonly state: 'running' }
  | {
      readonly executionId: string;
      readonly via: RunVia;
      readonly startedAt: number;
      readonly state: 'finished';
      readonly finishedAt: number;
      /** The run's result; absent when the run threw (then `error` says why). */
      readonly result?: ExecutionResult;
      readonly error?: string;
    };

export interface RetentionLimits {
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** Total size of the kept results, as JSON text. */
  readonly maxBytes: number;
}

export const DEFAULT_RETENTION: RetentionLimits = { ttlMs: 10 * 60_000, maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 };

interface Finished {
  readonly entry: RetainedEntry & { state: 'finished' };
  readonly bytes: number;
  readonly expiresAt: number;
}

export class ResultRetention {
  private readonly running = new Map<string, RetainedEntry & { state: 'running' }>();
  /** In the order they finished: expiry and eviction take from the front. */
  private readonly finished = new Map<string, Finished>();
  private bytes = 0;
  private evicted = 0;

  constructor(readonly limits: RetentionLimits = DEFAULT_RETENTION, private readonly now: () => number = Date.now) {}

  /** Room for one more run? (Running and kept results together stay within `maxEntries`.) */
  get hasRoom(): boolean {
    this.expire();
    if (this.running.size + this.finished.size < this.limits.maxEntries) return true;
    return this.finished.size > 0; // a finished result can make room; running entries cannot
  }

  /** A run starts: its id answers `running` from now on. */
  begin(executionId: string, via: RunVia): void {
    this.finished.delete(executionId);
    this.running.set(executionId, { executionId, via, startedAt: this.now(), state: 'running' });
    this.trim();
  }

  /** The run ended: its result (or the error it threw) is kept for `ttlMs`. */
  finish(executionId: string, outcome: { result: ExecutionResult } | { error: string }): void {
    const started = this.running.get(executionId);
    this.running.delete(executionId);
    this.drop(executionId);
    const now = this.now();
    const entry: RetainedEntry & { state: 'finished' } = {
      executionId,
      via: started?.via ?? 'run',
      startedAt: started?.startedAt ?? now,
      state: 'finished',
      finishedAt: now,
      ...outcome,
    };
    const bytes = 'result' in outcome ? JSON.stringify(outcome.result).length : outcome.error.length;
    if (bytes > this.limits.maxBytes) return; // too big to keep at all
    this.finished.set(executionId, { entry, bytes, expiresAt: now + this.limits.ttlMs });
    this.bytes += bytes;
    this.trim();
  }

  get(executionId: string): RetainedEntry | undefined {
    this.expire();
    return this.running.get(executionId) ?? this.finished.get(executionId)?.entry;
  }

  /** Forgets a kept result (its execution was resumed: the result no longer describes it). */
  forget(executionId: string): boolean {
    return this.drop(executionId);
  }

  /** Every entry kept now (running first, then finished in the order they finished). */
  entries(): RetainedEntry[] {
    this.expire();
    return [...this.running.values(), ...[...this.finished.values()].map((f) => f.entry)];
  }

  stats(): { running: number; finished: number; bytes: number; evicted: number } {
    this.expire();
    return { running: this.running.size, finished: this.finished.size, bytes: this.bytes, evicted: this.evicted };
  }

  private drop(executionId: string): boolean {
    const f = this.finished.get(executionId);
    if (!f) return false;
    this.finished.delete(executionId);
    this.bytes -= f.bytes;
    return true;
  }

  private expire(): void {
    const now = this.now();
    for (const [id, f] of this.finished) {
      if (f.expiresAt > now) break; // later entries finished later
      this.drop(id);
    }
  }

  private trim(): void {
    this.expire();
    for (const [id] of this.finished) {
      if (this.running.size + this.finished.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.drop(id);
      this.evicted++;
    }
  }
}
