import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Tally } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, node, stateOf, withRuntime } from './support.js';

/** `lazy` — deferred until demanded, run at most once; a lazy call nothing needs is skipped. */

describe('option lazy', () => {
  const source = 'in flag: Boolean\nlz = Tally("lazy") with lazy\npick = if (flag) lz else "no"\nout pick\n';

  test('a lazy call used only in an untaken arm never runs', async () => {
    await withRuntime({}, async ({ engine }) => {
      const result = await engine.run(compileOk(engine, source), { flag: false }, { includeNodes: true });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { pick: 'no' });
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 0);
      assert.equal(node(result, 'lz').state, 'untaken');
    });
  });

  test('the same lazy call runs when its arm is taken', async () => {
    await withRuntime({}, async ({ engine }) => {
      const result = await engine.run(compileOk(engine, source), { flag: true }, { includeNodes: true });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { pick: 'lazy' });
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 1);
      assert.equal(node(result, 'lz').state, 'completed');
    });
  });

  test('a lazy call used by an output and several consumers runs exactly once', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nlz = Tally(t) with lazy\na = concat(lz, "-a")\nb = "${lz}-b"\nout lz\nout a\nout b\n');
      const result = await engine.run(dag, { t: 'v' });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { lz: 'v', a: 'v-a', b: 'v-b' });
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 1);
    });
  });

  test('a chain of lazy calls behind an untaken arm runs nothing; behind a taken arm, each once', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in flag: Boolean\nl1 = Tally("one") with lazy\nl2 = Tally(l1) with lazy\npick = if (flag) l2 else "no"\nout pick\n');
      const off = await engine.run(dag, { flag: false });
      assert.deepEqual(off.outputs, { pick: 'no' });
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 0);
      const on = await engine.run(dag, { flag: true });
      assert.deepEqual(on.outputs, { pick: 'one' });
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 2);
    });
  });

  test('errors of a lazy call surface only when it is forced', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in flag: Boolean\nbad = TallyFail("x") with lazy\npick = if (flag) bad else "fine"\nout pick\n');
      const off = await engine.run(dag, { flag: false });
      assert.equal(off.status, 'completed', describeResult(off));
      assert.deepEqual(off.outputs, { pick: 'fine' });
      assert.equal(stateOf<Tally>(engine, 'TallyFail').count, 0);
      const on = await engine.run(dag, { flag: true });
      assert.equal(on.status, 'failed');
      assert.equal(on.errors[0]!.message, 'TallyFail failed for: x');
    });
  });

  test('lazy: false is an ordinary call (runs even if nothing reads it)', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in flag: Boolean\neager = Tally("e") with lazy: false\npick = if (flag) eager else "no"\nout pick\n');
      const result = await engine.run(dag, { flag: false });
      assert.deepEqual(result.outputs, { pick: 'no' });
      assert.equal(stateOf<Tally>(engine, 'Tally').count, 1);
    });
  });
});
