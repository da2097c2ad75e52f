import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import type { RuntimeOptions } from '../../actors/runtime-factory.js';
import { compileOk, describeResult, ENGINE_MODULES_FILE, eventually, FAULTS_FILE, IMPORT_THROWS_FILE, node, sleep, withRuntime, type TestRuntime } from './support.js';

/**
 * Misbehaving modules on the real worker pool (test/fixtures/modules/faults.ts). In every case
 * the faulty node ends with the right error code, an independent node of the same execution
 * completes, its dependent is skipped, and the engine keeps serving afterwards.
 */

const base: RuntimeOptions = {
  moduleFiles: [FAULTS_FILE, IMPORT_THROWS_FILE, ENGINE_MODULES_FILE],
  pool: { threads: 2, terminateGraceMs: 100 },
};

interface Expectation {
  readonly code: string;
  readonly message?: RegExp;
  readonly state?: 'failed' | 'timed_out';
}

/**
 * Runs the faulty module beside independent calls. Only the faulty call is subject to the
 * engine's default module timeout; the others get a generous one of their own, since a worker
 * replaced after a crash takes a while to boot on a loaded machine.
 */
async function faultyRun(rt: TestRuntime, module: string, expected: Expectation): Promise<void> {
  const dag = compileOk(rt.engine, `in t: String\nbad = ${module}(t)\ndep = Echo(bad) with timeout: 30s\nok = Echo(t) with timeout: 30s\nlocal = Tally(t)\nout dep\nout ok\nout local\n`);
  const result = await rt.engine.run(dag, { t: 'x' }, { includeNodes: true, timeoutMs: 20_000 });
  assert.equal(result.status, 'failed', describeResult(result));
  assert.equal(result.errors.length, 1, describeResult(result));
  const e = result.errors[0]!;
  assert.equal(e.code, expected.code, describeResult(result));
  assert.equal(e.nodeName, 'bad');
  assert.equal(e.moduleName, module);
  if (expected.message) assert.match(e.message, expected.message);
  assert.equal(node(result, 'bad').state, expected.state ?? 'failed');
  assert.equal(node(result, 'dep').state, 'skipped');
  assert.deepEqual(result.outputs, { ok: 'x', local: 'x' }, 'independent nodes completed');
  assert.deepEqual(result.pendingOutputs, ['dep']);
}

/** The engine still runs pool and coordinator modules, several at once (also warms the workers up). */
async function stillServes(rt: TestRuntime): Promise<void> {
  const dag = compileOk(rt.engine, 'in t: String\na = Echo(t) with timeout: 30s\nb = Echo(concat(a, "!")) with timeout: 30s\nc = Tally(b)\nout c\n');
  const results = await Promise.all(['p', 'q', 'r', 's'].map((t) => rt.engine.run(dag, { t }, { timeoutMs: 10_000 })));
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, 'completed', describeResult(r));
    assert.deepEqual(r.outputs, { c: `${'pqrs'[i]}!` });
  }
}

describe('faulty modules on the worker pool', () => {
  test('a module that throws', async () => {
    await withRuntime(base, async (rt) => {
      await stillServes(rt);
      await faultyRun(rt, 'Throws', { code: 'ModuleFailed', message: /^boom$/ });
      await stillServes(rt);
    });
  });

  test('a module that rejects', async () => {
    await withRuntime(base, async (rt) => {
      await stillServes(rt);
      await faultyRun(rt, 'Rejects', { code: 'ModuleFailed', message: /^async boom$/ });
      await stillServes(rt);
    });
  });

  test('a module that never resolves hits the default module timeout; its responsive worker is kept', async () => {
    await withRuntime({ ...base, defaultModuleTimeoutMs: 500 }, async (rt) => {
      const t0 = performance.now();
      await stillServes(rt);
      await faultyRun(rt, 'NeverResolves', { code: 'ModuleTimeout', message: /^Operation timed out after 500ms$/, state: 'timed_out' });
      assert.ok(performance.now() - t0 >= 490);
      await sleep(300); // well past the termination grace
      assert.equal(rt.pool.stats.terminations, 0, 'a worker that acknowledges the cancellation is not terminated');
      await stillServes(rt);
    });
  });

  test('a busy-looping module times out and its stuck worker is terminated', async () => {
    await withRuntime({ ...base, defaultModuleTimeoutMs: 500 }, async (rt) => {
      await stillServes(rt); // warm workers: the loop must really start before its timeout
      await faultyRun(rt, 'BusyLoop', { code: 'ModuleTimeout', state: 'timed_out' });
      await eventually(() => rt.pool.stats.terminations >= 1, 5000, 'the stuck worker to be terminated');
      await stillServes(rt);
      // the replacement worker serves too: as many concurrent calls as there are threads
      await stillServes(rt);
    });
  });

  test('a module that exits its worker thread fails with WorkerCrashed', async () => {
    await withRuntime(base, async (rt) => {
      await stillServes(rt);
      await faultyRun(rt, 'ExitsWorker', { code: 'WorkerCrashed' });
      assert.ok(rt.pool.stats.crashes >= 1);
      await stillServes(rt);
    });
  });

  test('an uncaught exception in a timer of a module crashes only that call', async () => {
    await withRuntime(base, async (rt) => {
      await stillServes(rt);
      await faultyRun(rt, 'UncaughtInTimer', { code: 'WorkerCrashed', message: /thrown outside the module promise/ });
      await stillServes(rt);
    });
  });

  test('a module that runs out of memory is killed, not the server', async () => {
    await withRuntime({ ...base, pool: { ...base.pool, maxOldGenerationSizeMb: 64 }, defaultModuleTimeoutMs: 15_000 }, async (rt) => {
      await stillServes(rt);
      await faultyRun(rt, 'OutOfMemory', { code: 'WorkerCrashed', message: /memory/ });
      await stillServes(rt);
    });
  });

  test('output that fails the output schema is InvalidModuleOutput', async () => {
    await withRuntime(base, async (rt) => {
      await stillServes(rt);
      await faultyRun(rt, 'BadOutput', { code: 'InvalidModuleOutput', message: /^BadOutput: output does not match its schema: result: / });
      await stillServes(rt);
    });
  });

  test('a 50 MB result is ResultTooLarge (default 32 MiB limit)', async () => {
    await withRuntime(base, async (rt) => {
      await stillServes(rt);
      await faultyRun(rt, 'Huge', { code: 'ResultTooLarge', message: /more than the limit of 33554432/ });
      await stillServes(rt);
    });
  });

  test('a module file that throws when a worker imports it', async () => {
    await withRuntime(base, async (rt) => {
      await stillServes(rt);
      await faultyRun(rt, 'BrokenAtImport', { code: 'ModuleFailed', message: /fails to load in a worker/ });
      await stillServes(rt);
      // the failure is not cached: the next call of that module fails the same way, and nothing else does
      await faultyRun(rt, 'BrokenAtImport', { code: 'ModuleFailed', message: /fails to load in a worker/ });
    });
  });

  test('several faults at once in one execution: each node gets its own error', async () => {
    await withRuntime(base, async (rt) => {
      await stillServes(rt);
      const dag = compileOk(rt.engine, 'in t: String\na = Throws(t)\nb = ExitsWorker(t)\nc = BadOutput(t)\nd = BusyLoop(t) with timeout: 800ms\ne = Echo(t)\nf = Echo(e)\nout a\nout b\nout c\nout d\nout f\n');
      const result = await rt.engine.run(dag, { t: 'x' }, { includeNodes: true, timeoutMs: 20_000 });
      assert.equal(result.status, 'failed');
      assert.deepEqual(result.outputs, { f: 'x' }, describeResult(result));
      const codes = Object.fromEntries(result.errors.map((e) => [e.nodeName, e.code]));
      assert.deepEqual(codes, { a: 'ModuleFailed', b: 'WorkerCrashed', c: 'InvalidModuleOutput', d: 'ModuleTimeout' });
      await stillServes(rt);
    });
  });

  test('workers start from a CommonJS entry that imports the ES module worker (no require of ESM)', async () => {
    // Node 20 aborts the process when a worker is terminated while require() instantiates an ES
    // module; Piscina require()s its worker file, so that file must be CommonJS
    const entry = createRequire(import.meta.url)('../../actors/worker-entry.cjs') as unknown;
    assert.ok(entry instanceof Promise, 'the entry exports a promise of the handler');
    const handler = (await entry) as unknown;
    assert.equal(typeof handler, 'function');
    assert.equal((handler as { name: string }).name, 'runBatch');
  });
});
