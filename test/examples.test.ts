import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRuntime, EXAMPLE_MODULES_FILE, type Runtime } from '../actors/runtime-factory.js';
import { MemorySuspensionStore } from '../runtime/stores/suspension-store.js';

/**
 * The pipelines under examples/pipelines (the README points users at them) compile and produce
 * the outputs their comments promise, on the example module pack, with real worker threads.
 */

const dir = fileURLToPath(new URL('../../examples/pipelines/', import.meta.url));
const source = (name: string) => readFileSync(`${dir}${name}.cst`, 'utf8');
const inputs = (name: string) => JSON.parse(readFileSync(`${dir}${name}.inputs.json`, 'utf8')) as Record<string, unknown>;

describe('example pipelines', () => {
  let runtime: Runtime;
  before(async () => {
    runtime = await createRuntime({ moduleFiles: [EXAMPLE_MODULES_FILE], pool: { threads: 1 }, suspensionStore: new MemorySuspensionStore() });
  });
  after(async () => {
    await runtime.close();
  });

  const run = async (name: string) => {
    const compiled = runtime.engine.compile(source(name));
    assert.equal(compiled.ok, true, JSON.stringify(compiled.diagnostics));
    return runtime.engine.run(compiled.dag!, inputs(name));
  };

  test('text-stats', async () => {
    const r = await run('text-stats');
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.outputs, { normalized: 'hello world\nline 2', words: 4, summary: '4 words on 2 lines' });
  });

  test('order-pricing', async () => {
    const r = await run('order-pricing');
    assert.equal(r.status, 'completed');
    // 12 × 100 = 1200, gold: −120, coupon −5 → 1075 (> 1000: free shipping)
    assert.deepEqual(r.outputs, { invoice: { id: 'A-17', customer: 'Ada', total: 1075, shipping: 'free shipping' } });
  });

  test('resilient-fetch', async () => {
    const r = await run('resilient-fetch');
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.outputs, { recovered: 'Success for: ping', bounded: 'cached default', cached: 'Result for: ping', skipped: '' });
  });

  test('approval suspends, then resumes with the decision', async () => {
    const first = await run('approval');
    assert.equal(first.status, 'suspended');
    assert.deepEqual(first.outputs, { risk: 'high' });
    assert.deepEqual(first.missingInputs, { approved: 'CBoolean' });
    const second = await runtime.engine.resume(first.executionId, { additionalInputs: { approved: true } });
    assert.equal(second.status, 'completed');
    assert.equal(second.executionId, first.executionId);
    assert.deepEqual(second.outputs, { risk: 'high', decision: 'paid 1500 (high risk)' });
  });
});
