import type { Dag } from '../compiler/dag.js';
import type { SuspensionStore } from '../stores/suspension-store.js';
import type { Engine } from './engine.js';
import type { ExecutionResult } from './result.js';
import { StepSessions, type StepState } from './stepper.js';

/**
 * Control of executions by id: status, cancellation and step-through sessions. What the HTTP
 * routes, the LSP's step methods and the dashboard use, so that a cluster can route each call
 * to the instance that owns the execution or session (its adapter implements this interface by
 * forwarding). Async throughout: nothing here is on the request path of a run.
 *
 * Ids: execution ids stay random UUIDs (docs/decisions.md #31); step-through session ids come
 * from an injectable factory, so a cluster can make them name their owner instance.
 */

export type ExecutionState = 'running' | 'suspended' | 'failed' | 'cancelled' | 'timed_out';

export interface ExecutionStatusReport {
  readonly executionId: string;
  readonly state: ExecutionState;
  readonly structuralHash: string;
  /** Epoch ms the (current) run started; null for a stored execution. */
  readonly startedAt: number | null;
}

/** `not-found`: no such execution (404); `not-running`: suspended or finished, nothing to cancel (409). */
export type CancelOutcome = 'cancelled' | 'not-found' | 'not-running';

export type StepAction = 'next' | 'continue' | 'stop' | 'state';

export interface StepReply {
  readonly sessionId: string;
  readonly state: StepState;
  /** The run's result once it has finished (after `continue`, or a `next` that ended it). */
  readonly result?: ExecutionResult;
}

export interface ExecutionControl {
  status(executionId: string): Promise<ExecutionStatusReport | undefined>;
  cancel(executionId: string): Promise<CancelOutcome>;
  /** Starts a step-through run: inputs resolved, no module run yet. */
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
}

/** The executions and sessions of one engine (a single instance, or one instance's share). */
export class LocalExecutionControl implements ExecutionControl {
  private readonly sessions: StepSessions;

  constructor(private readonly engine: Engine, private readonly options: LocalExecutionControlOptions = {}) {
    this.sessions = new StepSessions(options.sessionIdleMs, options.sessionIds);
  }

  async status(executionId: string): Promise<ExecutionStatusReport | undefined> {
    const running = this.engine.execution(executionId);
    if (running) return { executionId, state: 'running', structuralHash: running.plan.structuralHash, startedAt: running.startedAt };
    const stored = await this.options.suspensions?.load(executionId);
    return stored ? { executionId, state: stored.status, structuralHash: stored.structuralHash, startedAt: null } : undefined;
  }

  async cancel(executionId: string): Promise<CancelOutcome> {
    if (this.engine.cancel(executionId)) return 'cancelled';
    return (await this.options.suspensions?.load(executionId)) ? 'not-running' : 'not-found';
  }

  async startStepping(dag: Dag, inputs: Record<string, unknown>): Promise<StepReply> {
    const session = this.sessions.start(this.engine, dag, inputs);
    try {
      return { sessionId: session.id, state: await session.initial() };
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
        return { sessionId, state: session.state() };
      case 'next': {
        const state = await session.next();
        return session.isComplete ? { sessionId, state, result: await session.result } : { sessionId, state };
      }
      case 'continue': {
        const { state, result } = await session.continue();
        return { sessionId, state, result };
      }
      case 'stop': {
        const state = session.state();
        this.sessions.stop(sessionId);
        return { sessionId, state };
      }
    }
  }
}
