import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoundedScheduler } from '../../runtime/engine/scheduler.js';
import type { NapState } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, stateOf, withRuntime } from './support.js';

/**
 * `priority` — with a saturated bounded scheduler, ready calls start highest priority first
 * (FIFO among equals); it never changes results.
 */

const levels: Record<string, number> = { critical: 100, high: 80, normal: 50, low: 20, background: 0 };

describe('option priority', () => {
  test('a bounded scheduler (maxConcurrency 1) starts queued calls by priority, FIFO among equals', async () => {
    const scheduler = new BoundedScheduler({ maxConcurrency: 1 });
    await withRuntime({ scheduler }, async ({ engine }) => {
      const calls = [
        ['low1', 'low'], ['bg', 'background'], ['high1', 'high'], ['normal', 'normal'], ['crit', 'critical'],
        ['low2', 'low'], ['high2', 'high'], ['ninety', '90'], ['neg', '-5'], ['big', '150'],
      ] as const;
      const source = calls.map(([label, p]) => `${label} = Nap(20, "${label}") with priority: ${p}`).join('\n') + '\n' + calls.map(([l]) => `out ${l}`).join('\n') + '\n';
      const result = await engine.run(compileOk(engine, source), {});
      assert.equal(result.status, 'completed', describeResult(result));
      assert.deepEqual(result.outputs, Object.fromEntries(calls.map(([l]) => [l, l])), 'priority never changes results');
      const state = stateOf<NapState>(engine, 'Nap');
      assert.equal(state.maxActive, 1);
      // the first call took the free slot; the others queued and started by effective priority
      const priority = (label: string) => {
        const p = calls.find(([l]) => l === label)![1];
        return Math.max(0, Math.min(100, levels[p] ?? Number(p)));
      };
      const queued = state.starts.slice(1);
      const expected = [...queued].sort((a, b) => priority(b) - priority(a) || calls.findIndex(([l]) => l === a) - calls.findIndex(([l]) => l === b));
      assert.deepEqual(queued, expected, `start order ${state.starts.join(', ')}`);
      assert.equal(state.starts[0], 'low1', 'source order decides who gets the free slot');
      assert.deepEqual(queued, ['crit', 'big', 'ninety', 'high1', 'high2', 'normal', 'low2', 'bg', 'neg']);
      const stats = scheduler.stats();
      assert.equal(stats.activeCount, 0);
      assert.equal(stats.queuedCount, 0);
      assert.equal(stats.totalCompleted, stats.totalSubmitted);
    });
  });

  test('with the default unbounded scheduler priority has no effect: everything starts at once', async () => {
    await withRuntime({}, async ({ engine }) => {
      const source = 'a = Nap(50, "a") with priority: background\nb = Nap(50, "b") with priority: critical\nout a\nout b\n';
      const result = await engine.run(compileOk(engine, source), {});
      assert.equal(result.status, 'completed');
      assert.equal(stateOf<NapState>(engine, 'Nap').maxActive, 2);
    });
  });
});
