import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { Engine } from '../../runtime/engine/engine.js';
import { defineModule } from '../../runtime/modules/define.js';
import { compileOk } from './support.js';

/**
 * A `front` module runs on the event loop, so a busy one delays its own timeout timer. A call
 * whose result arrives after its deadline is still a timeout, whether it spins before returning
 * or after an await; and a call that holds the loop long enough to stall the server is reported.
 */

const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // hold the loop
  }
};

const SpinSync = defineModule({ name: 'SpinSync', placement: 'front', input: z.object({ ms: z.int() }), output: z.object({ done: z.boolean() }), run: ({ ms }) => (spin(ms), { done: true }) });
const SpinAfterAwait = defineModule({
  name: 'SpinAfterAwait',
  placement: 'front',
  input: z.object({ ms: z.int() }),
  output: z.object({ done: z.boolean() }),
  run: async ({ ms }) => {
    await new Promise((r) => setImmediate(r));
    spin(ms);
    return { done: true };
  },
});

function engine(stalls: [string, number][], warnings: string[]): Engine {
  return new Engine({
    modules: [{ module: SpinSync }, { module: SpinAfterAwait }],
    listener: { onFrontModuleStall: (module, ms) => stalls.push([module, ms]) },
    warn: (m) => warnings.push(m),
  });
}

test('a front call that finishes after its deadline is a timeout, spinning before or after an await', async () => {
  const e = engine([], []);
  for (const module of ['SpinSync', 'SpinAfterAwait']) {
    const late = await e.run(compileOk(e, `in ms: Int\nr = ${module}(ms) with timeout: 40ms\nout r`), { ms: 120 });
    assert.equal(late.status, 'failed', module);
    assert.equal(late.errors[0]?.code, 'ModuleTimeout', module);
    const inTime = await e.run(compileOk(e, `in ms: Int\nr = ${module}(ms) with timeout: 2s\nout r`), { ms: 5 });
    assert.equal(inTime.status, 'completed', module);
  }
});

test('a front call that holds the loop is reported (warning and listener), a short one is not', async () => {
  const stalls: [string, number][] = [];
  const warnings: string[] = [];
  const e = engine(stalls, warnings);
  await e.run(compileOk(e, 'in ms: Int\nr = SpinSync(ms)\nout r'), { ms: 2 });
  assert.deepEqual(stalls, []);
  await e.run(compileOk(e, 'in ms: Int\nr = SpinSync(ms)\nout r'), { ms: 80 });
  assert.equal(stalls.length, 1);
  assert.equal(stalls[0]![0], 'SpinSync');
  assert.ok(stalls[0]![1] >= 80);
  assert.match(warnings.join('\n'), /front module 'SpinSync' ran \d+ ms without yielding/);
});
