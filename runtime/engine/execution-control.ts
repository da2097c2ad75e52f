import type { Dag } from '../compiler/dag.js';
import { ConstellationError, formatError } from '../errors.js';
import type { SuspensionSummary } from './suspension.js';
import { summarise } from './suspension.js';
import type { SuspensionStore } from '../stores/suspension-store.js';
import type { Engine } from './engine.js';
import { settledNodes, type ExecutionResult, type NodeResult } from './result.js';
import { DEFAULT_RETENTION, ResultRetention, type RetentionLimits, type RunVia } from './retained-results.js';
import { StepSessions, type StepState } from './stepper.js';

/**
 * Control of executions by id: status, cancellation, background runs and step-through
 * sessions. What the HTTP routes (and the LSP's step methods) use, so that a cluster can route
 * each call to the instance that owns the execution or session: its adapter wraps this local
 * one and forwards what is not here. Async throughout; nothing here is on the path of a
 * synchronous run (whose only trace is the engine's table of running executions).
 *
 * Ids: execution ids stay random UUIDs (docs/decisions.md #31); step-through session ids come
 * from an injectable factory, so a cluster can make them name their owner instance.
 *
 * Status, in order: running here (the engine's table) → a kept result of an asynchronous run
 * (ResultRetention) → a stored execution (the suspension store). A kept result that says
 * `suspended` gives way to the stored execution, which is what can be resumed.
 */

export type ExecutionState = 'running' | 'completed' | 'suspended' | 'failed' | 'cancelled' | 'timed_out';

export interface FinishedRun {
  readonly via: RunVia;
  readonly finishedAt: number;
  /** Absent when the run threw instead of producing a result (`error` says why). */
  readonly result?: ExecutionResult;
  readonly error?: string;
}

export interface ExecutionStatusReport {
  readonly executionId: string;
  readonly state: ExecutionState;
  readonly structuralHash: string | null;
  /** Epoch ms the (current) run started; null for a stored execution. */
  readonly startedAt: number | null;
  /** The instance that runs or ran it (a cluster's instance id); null on a single instance. */
  readonly owner: string | null;
  /** A running execution: the nodes settled so far. */
  readonly nodes?: readonly NodeResult[];
  /** A finished asynchronous run: its result, kept for a while. */
  readonly finished?: FinishedRun;
  /** A stored execution: suspended, or a failed run that can be resumed. */
  readonly stored?: SuspensionSummary;
}

/** States `list` reports (suspended executions are listed by the suspension store). */
export type ListedState = 'running' | 'completed' | 'failed' | 'cancelled';

export interface ExecutionListEntry {
  readonly executionId: string;
  readonly state: ListedState;
  readonly structuralHash: string | null;
  readonly startedAt: number | null;
  /** Finished runs: when they ended. */
  readonly finishedAt: number | null;
  readonly owner: string | null;
}

/** Entries one instance lists at most (a list is for people and dashboards, not a bulk export). */
export const MAX_LISTED = 1000;

/** `not-found`: no such execution (404); `not-running`: suspended or finished, nothing to cancel (409). */
export type CancelOutcome = 'cancelled' | 'not-found' | 'not-running';

export type StepAction = 'next' | 'continue' | 'stop' | 'state';

export interface StepReply {
  readonly sessionId: string;
  readonly state: StepState;
  readonly isComplete: boolean;
  /** The run's result once it has finished (after `continue`, or a `next` that ended it). */
  readonly result?: ExecutionResult;
}

export interface BackgroundRun {
  readonly executionId: string;
  readonly finished: Promise<ExecutionResult>;
}

export interface ExecutionControl {
  status(executionId: string): Promise<ExecutionStatusReport | undefined>;
  cancel(executionId: string): Promise<CancelOutcome>;
  /** Running executions and kept results of finished asynchronous runs in these states (in a cluster: of every instance). */
  list(states: readonly ListedState[]): Promise<ExecutionListEntry[]>;
  /**
   * Starts a run on this instance and returns at once; its status answers `running` from now
   * on and its result is kept once it ends. Throws InputError for ill-typed inputs (nothing
   * runs) and QueueFull when the kept results are full of running executions.
   */
  runInBackground(dag: Dag, inputs: Readonly<Record<string, unknown>>, via: RunVia): BackgroundRun;
  /** A kept result no longer describes the execution (it is being resumed): forget it, wherever it is kept. */
  forget(executionId: string): void;
  /** Starts a step-through run on this instance: inputs resolved, no module run yet. */
  startStepping(dag: Dag, inputs: Record<string, unknown>): Promise<StepReply>;
  /** Acts on a session; `undefined` when there is no such session (expired, stopped, unknown). */
  step(sessionId: string, action: StepAction): Promise<StepReply | undefined>;
}

export interface LocalExecutionControlOptions {
  readonly suspensions?: SuspensionStore;
  /** Makes step-through session ids (default: random UUIDs). */
  readonly sessionIds?: () => string;
  /** A session idle this long is stopped and dropped (default 30 minutes). */
  readonly sessionIdleMs?: number;
  /** Sessions this instance holds at most (default 100); beyond, TooManyDebugSessions. */
  readonly maxSessions?: number;
  /** How long and how many results of asynchronous runs are kept. */
  readonly retention?: RetentionLimits;
  /** The name reported as `owner` (a cluster's instance id); default null. */
  readonly instanceId?: string | null;
}

/** The executions and sessions of one engine (a single instance, or one instance's share). */
export class LocalExecutionControl implements ExecutionControl {
  private readonly sessions: StepSessions;
  readonly results: ResultRetention;
  private readonly background = new Set<Promise<unknown>>();
  readonly owner: string | null;

  constructor(private readonly engine: Engine, private readonly options: LocalExecutionControlOptions = {}) {
    this.sessions = new StepSessions(options.sessionIdleMs, options.sessionIds, options.maxSessions ?? 100);
    this.results = new ResultRetention(options.retention ?? DEFAULT_RETENTION);
    this.owner = options.instanceId ?? null;
  }

  /** What this instance knows without asking anyone: running here, or a result kept here. */
  localStatus(executionId: string): ExecutionStatusReport | undefined {
    const running = this.engine.execution(executionId);
    if (running) {
      return { executionId, state: 'running', structuralHash: running.plan.structuralHash, startedAt: running.startedAt, owner: this.owner, nodes: settledNodes(running) };
    }
    const kept = this.results.get(executionId);
    if (!kept) return undefined;
    if (kept.state === 'running') return { executionId, state: 'running', structuralHash: null, startedAt: kept.startedAt, owner: this.owner, nodes: [] };
    const finished: FinishedRun = { via: kept.via, finishedAt: kept.finishedAt, ...(kept.result ? { result: kept.result } : {}), ...(kept.error !== undefined ? { error: kept.error } : {}) };
    return {
      executionId,
      state: kept.result ? kept.result.status : 'failed',
      structuralHash: kept.result?.structuralHash ?? null,
      startedAt: kept.startedAt,
      owner: this.owner,
      finished,
    };
  }

  /** The suspension store's answer (shared in a cluster: any instance may give it). */
  async storedStatus(executionId: string): Promise<ExecutionStatusReport | undefined> {
    const stored = await this.options.suspensions?.load(executionId);
    if (!stored) return undefined;
    return { executionId, state: stored.status, structuralHash: stored.structuralHash, startedAt: null, owner: null, stored: summarise(stored) };
  }

  async status(executionId: string): Promise<ExecutionStatusReport | undefined> {
    const local = this.localStatus(executionId);
    if (local && local.state !== 'suspended') return local;
    return (await this.storedStatus(executionId)) ?? local;
  }

  /** Cancels a run of this instance: true when it was running here. */
  cancelLocal(executionId: string): boolean {
    return this.engine.cancel(executionId);
  }

  async cancel(executionId: string): Promise<CancelOutcome> {
    if (this.cancelLocal(executionId)) return 'cancelled';
    if (this.results.get(executionId)) return 'not-running';
    return (await this.options.suspensions?.load(executionId)) ? 'not-running' : 'not-found';
  }

  /** This instance's running executions and kept results in `states`, at most MAX_LISTED. */
  listLocal(states: readonly ListedState[]): ExecutionListEntry[] {
    const wanted = new Set(states);
    const out: ExecutionListEntry[] = [];
    const seen = new Set<string>();
    if (wanted.has('running')) {
      for (const exec of this.engine.runningExecutions()) {
        if (out.length >= MAX_LISTED) return out;
        seen.add(exec.executionId);
        out.push({ executionId: exec.executionId, state: 'running', structuralHash: exec.plan.structuralHash, startedAt: exec.startedAt, finishedAt: null, owner: this.owner });
      }
    }
    for (const kept of this.results.entries()) {
      if (out.length >= MAX_LISTED) break;
      if (seen.has(kept.executionId)) continue;
      const state: ExecutionListEntry['state'] | 'suspended' | 'timed_out' = kept.state === 'running' ? 'running' : (kept.result?.status ?? 'failed');
      const listed: ListedState = state === 'timed_out' ? 'failed' : (state as ListedState);
      if (state === 'suspended' || !wanted.has(listed)) continue;
      out.push({
        executionId: kept.executionId,
        state: listed,
        structuralHash: kept.state === 'finished' ? (kept.result?.structuralHash ?? null) : null,
        startedAt: kept.startedAt,
        finishedAt: kept.state === 'finished' ? kept.finishedAt : null,
        owner: this.owner,
      });
    }
    return out;
  }

  async list(states: readonly ListedState[]): Promise<ExecutionListEntry[]> {
    return this.listLocal(states);
  }

  runInBackground(dag: Dag, inputs: Readonly<Record<string, unknown>>, via: RunVia): BackgroundRun {
    if (!this.results.hasRoom) throw new ConstellationError('QueueFull', formatError('QueueFull'));
    const { executionId, result } = this.engine.launch(dag, inputs);
    this.results.begin(executionId, via);
    const finished = result.then(
      (r) => {
        this.results.finish(executionId, { result: r });
        return r;
      },
      (e: unknown) => {
        this.results.finish(executionId, { error: e instanceof Error ? e.message : String(e) });
        throw e;
      },
    );
    const tracked = finished.catch(() => {});
    this.background.add(tracked);
    void tracked.then(() => this.background.delete(tracked));
    return { executionId, finished };
  }

  /** Resolves when every background run has ended (the server's drain waits on this). */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  forget(executionId: string): void {
    this.results.forget(executionId);
  }

  async startStepping(dag: Dag, inputs: Record<string, unknown>): Promise<StepReply> {
    const session = this.sessions.start(this.engine, dag, inputs);
    try {
      return { sessionId: session.id, state: await session.initial(), isComplete: false };
    } catch (e) {
      // a run that cannot start (ill-typed inputs) leaves no session behind
      this.sessions.stop(session.id);
      throw e;
    }
  }

  async step(sessionId: string, action: StepAction): Promise<StepReply | undefined> {
    const session = this.sessions.get(sessionId);
    if (!session) return undefined;
    switch (action) {
      case 'state':
        return session.isComplete ? { sessionId, state: session.state(), isComplete: true, result: await session.result } : { sessionId, state: session.state(), isComplete: false };
      case 'next': {
        const state = await session.next();
        return session.isComplete ? { sessionId, state, isComplete: true, result: await session.result } : { sessionId, state, isComplete: false };
      }
      case 'continue': {
        const { state, result } = await session.continue();
        return { sessionId, state, isComplete: true, result };
      }
      case 'stop': {
        const state = session.state();
        const isComplete = session.isComplete;
        this.sessions.stop(sessionId);
        return { sessionId, state, isComplete };
      }
    }
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Stops every session (shutdown; running executions are the engine's to cancel). */
  close(): void {
    this.sessions.close();
  }
}
