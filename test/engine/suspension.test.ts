import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConstellationError } from '../../runtime/errors.js';
import { MemorySuspensionStore } from '../../runtime/stores/suspension-store.js';
import type { NapState, Tally } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, node, stateOf, withRuntime } from './support.js';

/**
 * Suspension and resume (docs/decisions.md #10, #11): a missing required input
 * suspends the run after everything runnable ran; resume keeps the execution id, reuses
 * computed values and runs only what is missing; one resume at a time.
 */

const source = `in a: String
in b: String
in opt: Optional<String>
fromA = Tally(a)
fromB = Tally(b)
joined = concat(fromA, fromB)
maybe = opt ?? "none"
out fromA
out joined
out maybe
`;

function isCode(code: string) {
  return (e: unknown) => e instanceof ConstellationError && e.code === code;
}

describe('suspension', () => {
  test('a missing required input suspends; an omitted Optional input is absent; a snapshot is saved', async () => {
    const store = new MemorySuspensionStore();
    await withRuntime({ suspensionStore: store }, async ({ engine }) => {
      const dag = compileOk(engine, source);
      const result = await engine.run(dag, { a: 'A' }, { includeNodes: true });
      assert.equal(result.status, 'suspended', describeResult(result));
      assert.deepEqual(result.missingInputs, { b: 'CString' }, 'opt is not missing');
      assert.deepEqual(result.outputs, { fromA: 'A', maybe: 'none' }, 'everything runnable ran');
      assert.deepEqual(result.pendingOutputs, ['joined']);
      assert.deepEqual(result.errors, []);
      assert.equal(result.resumptionCount, 0);
      assert.equal(node(result, 'b').state, 'blocked');
      assert.equal(node(result, 'fromB').state, 'blocked');
      assert.equal(node(result, 'joined').state, 'blocked');
      assert.deepEqual(stateOf<Tally>(engine, 'Tally').args, ['A']);

      const snapshot = await store.load(result.executionId);
      assert.ok(snapshot);
      assert.equal(snapshot.status, 'suspended');
      assert.equal(snapshot.structuralHash, result.structuralHash);
      assert.deepEqual(snapshot.providedInputs, { a: 'A', opt: null });
      assert.deepEqual(snapshot.missingInputs, { b: 'CString' });
      const listed = (await store.list()).items;
      assert.deepEqual(listed.map((s) => s.executionId), [result.executionId]);
    });
  });

  test('all inputs present (Optional omitted) completes and saves nothing', async () => {
    const store = new MemorySuspensionStore();
    await withRuntime({ suspensionStore: store }, async ({ engine }) => {
      const result = await engine.run(compileOk(engine, source), { a: 'A', b: 'B' });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { fromA: 'A', joined: 'AB', maybe: 'none' });
      assert.deepEqual((await store.list()).items, []);
    });
  });

  test('resume with the missing input completes, keeps the id and does not re-run computed modules', async () => {
    const store = new MemorySuspensionStore();
    await withRuntime({ suspensionStore: store }, async ({ engine }) => {
      const first = await engine.run(compileOk(engine, source), { a: 'A', opt: 'given' });
      assert.equal(first.status, 'suspended');
      const resumed = await engine.resume(first.executionId, { additionalInputs: { b: 'B' } }, { includeNodes: true });
      assert.equal(resumed.status, 'completed', describeResult(resumed));
      assert.equal(resumed.executionId, first.executionId);
      assert.equal(resumed.structuralHash, first.structuralHash);
      assert.equal(resumed.resumptionCount, 1);
      assert.deepEqual(resumed.outputs, { fromA: 'A', joined: 'AB', maybe: 'given' });
      assert.deepEqual(stateOf<Tally>(engine, 'Tally').args, ['A', 'B'], 'Tally(a) ran once, before the suspension');
      assert.equal(await store.load(first.executionId), undefined, 'a completed resume deletes the snapshot');
      await assert.rejects(engine.resume(first.executionId, { additionalInputs: { b: 'B' } }), isCode('ExecutionNotFound'));
    });
  });

  test('a resume still missing inputs re-suspends with the same id and a higher count', async () => {
    const store = new MemorySuspensionStore();
    await withRuntime({ suspensionStore: store }, async ({ engine }) => {
      const first = await engine.run(compileOk(engine, source), {});
      assert.deepEqual(first.missingInputs, { a: 'CString', b: 'CString' });
      const second = await engine.resume(first.executionId, { additionalInputs: { a: 'A' } });
      assert.equal(second.status, 'suspended');
      assert.equal(second.executionId, first.executionId);
      assert.equal(second.resumptionCount, 1);
      assert.deepEqual(second.missingInputs, { b: 'CString' });
      assert.deepEqual(second.outputs, { fromA: 'A', maybe: 'none' });
      const snapshot = await store.load(first.executionId);
      assert.equal(snapshot?.resumptionCount, 1);
      assert.ok(snapshot?.lastResumedAt);
      const third = await engine.resume(first.executionId, { additionalInputs: { b: 'B', a: 'A' } });
      assert.equal(third.status, 'completed', describeResult(third));
      assert.equal(third.resumptionCount, 2);
      assert.deepEqual(third.outputs, { fromA: 'A', joined: 'AB', maybe: 'none' });
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 2);
    });
  });

  test('resolvedNodes supply an intermediate value instead of computing it', async () => {
    const store = new MemorySuspensionStore();
    await withRuntime({ suspensionStore: store }, async ({ engine }) => {
      const first = await engine.run(compileOk(engine, source), { a: 'A' });
      const resumed = await engine.resume(first.executionId, { resolvedNodes: { fromB: 'manual' } });
      assert.deepEqual(resumed.outputs, { fromA: 'A', joined: 'Amanual', maybe: 'none' });
      assert.deepEqual(resumed.pendingOutputs, []);
      // the input itself is still missing, so the execution stays suspended
      assert.equal(resumed.status, 'suspended');
      assert.deepEqual(resumed.missingInputs, { b: 'CString' });
      assert.deepEqual(stateOf<Tally>(engine, 'Tally').args, ['A'], 'the resolved node was not computed');
    });
  });

  test('resume validation: unknown names, type mismatches, changed inputs, already computed nodes', async () => {
    const store = new MemorySuspensionStore();
    await withRuntime({ suspensionStore: store }, async ({ engine }) => {
      const { executionId } = await engine.run(compileOk(engine, source), { a: 'A' });
      await assert.rejects(engine.resume(executionId, { additionalInputs: { nope: 'x' } }), (e: unknown) => isCode('ResumeInvalid')(e) && /Unknown node name: 'nope'/.test((e as Error).message));
      await assert.rejects(engine.resume(executionId, { additionalInputs: { b: 42 } }), isCode('InputError'));
      await assert.rejects(engine.resume(executionId, { additionalInputs: { a: 'changed', b: 'B' } }), (e: unknown) => isCode('ResumeInvalid')(e) && /already provided/.test((e as Error).message));
      await assert.rejects(engine.resume(executionId, { resolvedNodes: { fromA: 'again' } }), (e: unknown) => isCode('ResumeInvalid')(e) && /already been computed/.test((e as Error).message));
      await assert.rejects(engine.resume(executionId, { resolvedNodes: { ghost: 'x' } }), isCode('ResumeInvalid'));
      await assert.rejects(engine.resume(executionId, { resolvedNodes: { fromB: 7 } }), (e: unknown) => isCode('ResumeInvalid')(e) && /type mismatch/.test((e as Error).message));
      await assert.rejects(engine.resume('no-such-execution', { additionalInputs: { b: 'B' } }), isCode('ExecutionNotFound'));
      // nothing ran, the snapshot is intact and the claim was released each time
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 1);
      assert.equal((await store.load(executionId))?.resumptionCount, 0);
      // the same value for an input already provided is accepted
      const ok = await engine.resume(executionId, { additionalInputs: { a: 'A', b: 'B' } });
      assert.equal(ok.status, 'completed', describeResult(ok));
    });
  });

  test('two concurrent resumes: exactly one wins, the other gets ResumeInProgress', async () => {
    const store = new MemorySuspensionStore();
    await withRuntime({ suspensionStore: store }, async ({ engine }) => {
      const dag = compileOk(engine, 'in a: String\nin b: String\nslow = Nap(100, concat(a, b))\nout slow\n');
      const { executionId } = await engine.run(dag, { a: 'A' });
      const outcomes = await Promise.allSettled([
        engine.resume(executionId, { additionalInputs: { b: 'B' } }),
        engine.resume(executionId, { additionalInputs: { b: 'B' } }),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(isCode('ResumeInProgress')(lost[0]!.reason), String(lost[0]!.reason));
      assert.deepEqual((won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof engine.resume>>>).value.outputs, { slow: 'AB' });
      assert.equal(stateOf<NapState>(engine, 'Nap').count, 1);
    });
  });

  test('failed runs are kept too; resuming one runs only what has no value yet', async () => {
    const store = new MemorySuspensionStore();
    await withRuntime({ suspensionStore: store }, async ({ engine }) => {
      const dag = compileOk(engine, 'in a: String\nin b: String\nbad = TallyFail(a)\nok = Tally(b)\nout bad\nout ok\n');
      const result = await engine.run(dag, { a: 'A' });
      assert.equal(result.status, 'failed');
      const snapshot = await store.load(result.executionId);
      assert.equal(snapshot?.status, 'failed');
      assert.equal(snapshot?.nodeStates[String(dag.outputs.find((o) => o.name === 'bad')!.node)], 'failed');
      const resumed = await engine.resume(result.executionId, { additionalInputs: { b: 'B' } });
      assert.equal(resumed.status, 'failed');
      assert.equal(resumed.executionId, result.executionId);
      assert.deepEqual(resumed.outputs, { ok: 'B' });
      assert.equal(stateOf<Tally>(engine, 'TallyFail').count, 2, 'the failed node is tried again');
      assert.equal((await store.load(result.executionId))?.resumptionCount, 1, 'the new snapshot replaced the old one');
    });
  });

  test('without a store, resume reports the execution as not found', async () => {
    await withRuntime({}, async ({ engine }) => {
      const result = await engine.run(compileOk(engine, source), { a: 'A' });
      assert.equal(result.status, 'suspended');
      await assert.rejects(engine.resume(result.executionId, { additionalInputs: { b: 'B' } }), isCode('ExecutionNotFound'));
    });
  });
});
