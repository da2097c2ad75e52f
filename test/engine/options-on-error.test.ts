import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FailTimesState } from '../fixtures/modules/engine.js';
import { assertSameJson, compileOk, describeResult, node, stateOf, withRuntime } from './support.js';

/**
 * `on_error: skip | log` turn the final failure (after retries, when there is no fallback) into
 * the zero value of the call's return type; `log` also warns. `propagate` (default) fails.
 */

const zeroCases = [
  ['FailInt', 0],
  ['FailFloat', 0],
  ['FailBool', false],
  ['FailList', []],
  ['FailRecord', { name: '', n: 0, tags: [], ok: false }],
  ['FailOptional', null],
  ['FailMap', {}],
  ['AlwaysFailsService', ''],
] as const;

describe('option on_error', () => {
  for (const mode of ['skip', 'log'] as const) {
    test(`on_error: ${mode} yields the zero value of each return type`, async () => {
      await withRuntime({}, async (rt) => {
        const source = ['in t: String', ...zeroCases.map(([m], i) => `v${i} = ${m}(t) with on_error: ${mode}`), ...zeroCases.map((_, i) => `out v${i}`)].join('\n') + '\n';
        const dag = compileOk(rt.engine, source);
        const result = await rt.engine.run(dag, { t: 'x' }, { includeNodes: true });
        assert.equal(result.status, 'completed', describeResult(result));
        assert.deepEqual(result.errors, []);
        const expected = Object.fromEntries(zeroCases.map(([, zero], i) => [`v${i}`, zero]));
        assertSameJson(result.outputs, expected);
        for (let i = 0; i < zeroCases.length; i++) assert.equal(node(result, `v${i}`).state, 'completed');
        if (mode === 'log') {
          assert.equal(rt.warnings.length, zeroCases.length);
          assert.ok(rt.warnings.includes('[FailInt] failed: FailInt failed for: x. Skipping with zero value.'), rt.warnings.join('\n'));
          assert.ok(rt.warnings.includes('[AlwaysFailsService] failed: Service failed for: x. Skipping with zero value.'));
        } else {
          assert.deepEqual(rt.warnings, [], 'skip does not log');
        }
      });
    });
  }

  test('zero values flow on to dependents', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nn = FailInt(t) with on_error: skip\nm = n + 5\nl = FailList(t) with on_error: skip\nk = join(l, \",\")\nout m\nout k\n');
      const result = await engine.run(dag, { t: 'x' });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { m: 5, k: '' });
    });
  });

  test('retries come first: on_error applies only to the final failure', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\nrecovered = FailTimes(t, 1) with retry: 1, on_error: skip\ngaveUp = FailTimes("never", 9) with retry: 2, on_error: skip\nout recovered\nout gaveUp\n');
      const result = await engine.run(dag, { t: 'once' }, { includeNodes: true });
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, { recovered: 'ok: once', gaveUp: '' });
      assert.equal(node(result, 'recovered').attempts, 2);
      assert.equal(node(result, 'gaveUp').attempts, 3);
      assert.equal(stateOf<FailTimesState>(engine, 'FailTimes').log.length, 5);
    });
  });

  test('propagate (the default) fails the call', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in t: String\na = FailInt(t) with on_error: propagate\nb = Uppercase(t) with on_error: propagate\nout a\nout b\n');
      const result = await engine.run(dag, { t: 'x' }, { includeNodes: true });
      assert.equal(result.status, 'failed');
      assert.deepEqual(result.outputs, { b: 'X' });
      assert.equal(result.errors.length, 1);
      assert.equal(result.errors[0]!.message, 'FailInt failed for: x');
      assert.equal(node(result, 'a').state, 'failed');
    });
  });

  test('on_error: wrap behaves as propagate', async () => {
    await withRuntime({}, async ({ engine }) => {
      const compiled = engine.compile('in t: String\na = FailInt(t) with on_error: wrap\nout a\n');
      if (!compiled.ok) {
        // rejecting `wrap` at compile time is also allowed (the module options reference allows it)
        assert.ok(compiled.diagnostics.some((d) => d.severity === 'error'));
        return;
      }
      const result = await engine.run(compiled.dag!, { t: 'x' });
      assert.equal(result.status, 'failed');
      assert.equal(result.errors[0]!.message, 'FailInt failed for: x');
    });
  });
});
