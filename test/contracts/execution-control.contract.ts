import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Dag } from '../../runtime/compiler/dag.js';
import type { ExecutionControl } from '../../runtime/engine/execution-control.js';
import type { ExecutionResult } from '../../runtime/engine/result.js';
import { withSubject, type Subject } from './fixtures.js';

/**
 * What the ExecutionControl suite needs from the system under test: runs it can start (a slow
 * one that it can cancel, one that suspends), a two-step pipeline for step-through, and the
 * prefix its session-id factory gives (a cluster names the owner instance there).
 */
export interface ControlledSystem {
  readonly control: ExecutionControl;
  /** Starts a run that takes a while (≥ 1 s unless cancelled); resolves with its id once it runs. */
  startSlow(): Promise<{ executionId: string; finished: Promise<ExecutionResult> }>;
  /** Runs a pipeline to a suspension; resolves with the stored execution's id. */
  suspended(): Promise<string>;
  /** A pipeline with two batches of module calls, and its inputs. */
  readonly stepped: { readonly dag: Dag; readonly inputs: Record<string, unknown> };
  readonly sessionIdPrefix: string;
  /** A quick pipeline for background runs, and its inputs (through `control`). */
  readonly quick: { readonly dag: Dag; readonly inputs: Record<string, unknown> };
  /** What `owner` reports for the runs of `startSlow` (an instance id; null on one instance). */
  readonly owner: string | null;
}

export function executionControlContract(name: string, open: () => Promise<Subject<ControlledSystem>>): void {
  describe(`ExecutionControl contract: ${name}`, () => {
    test('status: running, then what it ended as; unknown ids are unknown', () =>
      withSubject(open, async ({ store: sys }) => {
        assert.equal(await sys.control.status('00000000-0000-4000-8000-000000000000'), undefined);
        const { executionId, finished } = await sys.startSlow();
        const running = await sys.control.status(executionId);
        assert.equal(running?.state, 'running');
        assert.ok(running?.startedAt !== null && running!.startedAt <= Date.now());
        assert.equal(await sys.control.cancel(executionId), 'cancelled');
        assert.equal((await finished).status, 'cancelled');
        assert.equal((await sys.control.status(executionId))?.state, 'cancelled');
      }));

    test('a running execution reports its owner and the nodes settled so far', () =>
      withSubject(open, async ({ store: sys }) => {
        const { executionId, finished } = await sys.startSlow();
        const running = await sys.control.status(executionId);
        assert.equal(running?.owner, sys.owner);
        assert.ok(running?.nodes?.some((n) => n.kind === 'input' && n.state === 'completed'), JSON.stringify(running?.nodes));
        assert.ok(!running?.nodes?.some((n) => n.kind === 'module'), 'the slow call has not settled');
        await sys.control.cancel(executionId);
        await finished;
      }));

    test('background runs: running from the start, then their kept result; forget drops it; ill-typed inputs throw before anything runs', () =>
      withSubject(open, async ({ store: sys }) => {
        const run = sys.control.runInBackground(sys.quick.dag, sys.quick.inputs, 'execute');
        const early = await sys.control.status(run.executionId);
        assert.ok(early && ['running', 'completed'].includes(early.state), early?.state);
        const result = await run.finished;
        assert.equal(result.status, 'completed');
        const kept = await sys.control.status(run.executionId);
        assert.equal(kept?.state, 'completed');
        assert.equal(kept?.finished?.via, 'execute');
        assert.deepEqual(kept?.finished?.result?.outputs, result.outputs);
        assert.equal(await sys.control.cancel(run.executionId), 'not-running');
        sys.control.forget(run.executionId);
        assert.equal(await sys.control.status(run.executionId), undefined);
        assert.throws(() => sys.control.runInBackground(sys.quick.dag, { nonsense: 1, ...Object.fromEntries(Object.keys(sys.quick.inputs).map((k) => [k, { not: 'valid' }])) }, 'run'), /Input/);
      }));

    test('cancel: unknown → not-found; suspended or finished → not-running', () =>
      withSubject(open, async ({ store: sys }) => {
        assert.equal(await sys.control.cancel('00000000-0000-4000-8000-000000000001'), 'not-found');
        const id = await sys.suspended();
        assert.equal((await sys.control.status(id))?.state, 'suspended');
        assert.equal(await sys.control.cancel(id), 'not-running');
      }));

    test('step-through: a session named by the id factory advances batch by batch, continues to the end, stops', () =>
      withSubject(open, async ({ store: sys }) => {
        const started = await sys.control.startStepping(sys.stepped.dag, sys.stepped.inputs);
        assert.ok(started.sessionId.startsWith(sys.sessionIdPrefix), started.sessionId);
        assert.equal(started.state.currentBatch, 0);
        const next = await sys.control.step(started.sessionId, 'next');
        assert.equal(next?.state.currentBatch, 1);
        assert.equal(next?.result, undefined);
        const state = await sys.control.step(started.sessionId, 'state');
        assert.equal(state?.state.currentBatch, 1);
        assert.equal(next?.isComplete, false);
        const end = await sys.control.step(started.sessionId, 'continue');
        assert.equal(end?.result?.status, 'completed');
        assert.equal(end?.isComplete, true);
        await sys.control.step(started.sessionId, 'stop');
        assert.equal(await sys.control.step(started.sessionId, 'next'), undefined, 'a stopped session is gone');
        assert.equal(await sys.control.step('no-such-session', 'state'), undefined);
      }));
  });
}
