import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NapState } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, stateOf, withRuntime } from './support.js';

/** `concurrency: n` — at most n simultaneous runs of one module name, across call sites and executions. */

function naps(count: number, ms: number, options: string): string {
  const ids = Array.from({ length: count }, (_, i) => i + 1);
  const withClause = options ? ` with ${options}` : '';
  return ids.map((i) => `n${i} = Nap(${ms}, "c${i}")${withClause}`).join('\n') + '\n' + ids.map((i) => `out n${i}`).join('\n') + '\n';
}

/** Intervals sorted by start: does any start before the previous one ended? */
function overlaps(state: NapState): boolean {
  const spans = [...state.startedAt].map(([label, start]) => [start, state.endedAt.get(label)!] as const).sort((a, b) => a[0] - b[0]);
  return spans.some((s, i) => i > 0 && s[0] < spans[i - 1]![1]);
}

describe('option concurrency', () => {
  test('without the option, calls overlap (the measurement works)', async () => {
    await withRuntime({}, async ({ engine }) => {
      const result = await engine.run(compileOk(engine, naps(4, 60, '')), {});
      assert.equal(result.status, 'completed');
      const state = stateOf<NapState>(engine, 'Nap');
      assert.equal(state.maxActive, 4);
      assert.equal(overlaps(state), true);
    });
  });

  test('concurrency: 1 serialises the calls', async () => {
    await withRuntime({}, async ({ engine }) => {
      const t0 = performance.now();
      const result = await engine.run(compileOk(engine, naps(4, 60, 'concurrency: 1')), {});
      const elapsed = performance.now() - t0;
      assert.equal(result.status, 'completed', describeResult(result));
      const state = stateOf<NapState>(engine, 'Nap');
      assert.equal(state.count, 4);
      assert.equal(state.maxActive, 1);
      assert.equal(overlaps(state), false);
      assert.ok(elapsed >= 235, `4 serialised 60 ms calls took ${elapsed} ms`);
    });
  });

  test('concurrency: 2 allows two at a time', async () => {
    await withRuntime({}, async ({ engine }) => {
      const result = await engine.run(compileOk(engine, naps(6, 50, 'concurrency: 2')), {});
      assert.equal(result.status, 'completed');
      assert.equal(stateOf<NapState>(engine, 'Nap').maxActive, 2);
    });
  });

  test('the limit is shared by concurrent executions', async () => {
    await withRuntime({}, async ({ engine }) => {
      const dag = compileOk(engine, 'in l: String\nn = Nap(50, l) with concurrency: 1\nout n\n');
      const results = await Promise.all(['a', 'b', 'c'].map((l) => engine.run(dag, { l })));
      for (const r of results) assert.equal(r.status, 'completed');
      const state = stateOf<NapState>(engine, 'Nap');
      assert.equal(state.maxActive, 1);
      assert.equal(overlaps(state), false);
    });
  });
});
