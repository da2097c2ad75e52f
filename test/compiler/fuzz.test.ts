import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { FunctionRegistry } from '../../runtime/compiler/registry.js';
import { STDLIB_SIGNATURES } from '../../runtime/stdlib/index.js';
import { diagnosticProblems } from '../helpers/diagnostics.js';
import { checkSource, generator, type Family, type FuzzReport } from '../helpers/fuzz.js';
import { exampleRegistry } from '../helpers/registry.js';

/**
 * Compiler fuzzing: thousands of seeded sources — token soup, random bytes and unicode, mutations
 * of the conformance programs, random structured programs. Each compile must not throw (nor hit
 * a caught internal error), must finish within a generous bound, and must produce well-formed
 * diagnostics (0 ≤ start ≤ end ≤ length, line/column consistent with the offsets); a successful
 * compile's DAG must pass its schema. Each family runs on a worker thread under a watchdog, so a
 * hang fails the test (naming the source) instead of stalling CI.
 *
 * Reproduce a failure with FUZZ_SEED=<seed> (printed on failure); FUZZ_SCALE multiplies counts.
 */

const BASE_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 0x5eed_c0de;
const SCALE = process.env.FUZZ_SCALE ? Number(process.env.FUZZ_SCALE) : 1;
/** Per-compile bound: generous (timing goals belong in bench/); the sources here are small. */
const PER_CALL_MS = 2_000;
/** Whole-family bound enforced by the watchdog. */
const FAMILY_MS = 60_000;

const FAMILIES: [Family, number][] = [
  ['tokens', 1500],
  ['bytes', 1000],
  ['mutations', 2500],
  ['programs', 1500],
];

function runInWorker(family: Family, seed: number, count: number): Promise<FuzzReport> {
  const progress = new SharedArrayBuffer(4);
  const worker = new Worker(new URL('../helpers/fuzz-worker.js', import.meta.url), { workerData: { family, seed, count, perCallMs: PER_CALL_MS, progress } });
  const index = new Int32Array(progress);
  return new Promise((resolve, reject) => {
    const watchdog = setTimeout(() => {
      const at = Atomics.load(index, 0);
      void worker.terminate();
      const source = generator(family, seed)(at);
      reject(new Error(`fuzz family '${family}' (seed ${seed}) exceeded ${FAMILY_MS} ms; compiling source #${at}:\n${JSON.stringify(source)}`));
    }, FAMILY_MS);
    worker.once('message', (report: FuzzReport) => {
      clearTimeout(watchdog);
      void worker.terminate();
      resolve(report);
    });
    worker.once('error', (e) => {
      clearTimeout(watchdog);
      const at = Atomics.load(index, 0);
      reject(new Error(`fuzz worker for '${family}' (seed ${seed}) died at source #${at}: ${e.stack ?? e.message}\n${JSON.stringify(generator(family, seed)(at))}`));
    });
  });
}

describe('compiler fuzzing', () => {
  let total = 0;
  FAMILIES.forEach(([family, count], i) => {
    const seed = (BASE_SEED + i * 0x9e37_79b9) >>> 0;
    const n = Math.max(1, Math.round(count * SCALE));
    test(`${family}: ${n} sources, seed ${seed}`, { timeout: FAMILY_MS + 10_000 }, async () => {
      const report = await runInWorker(family, seed, n);
      total += report.count;
      const details = report.failures
        .map((f) => `#${f.index} (FUZZ_SEED=${BASE_SEED}, family ${family}, seed ${seed}):\n  source: ${JSON.stringify(f.source)}\n  ${f.problem.replace(/\n/g, '\n  ')}`)
        .join('\n\n');
      assert.equal(report.failures.length, 0, `${report.failures.length} failing source(s):\n${details}`);
      assert.equal(report.count, n);
      assert.ok(report.maxMs < PER_CALL_MS);
      // the structured programs are meant to reach the checker and the DAG builder, not only the parser
      if (family === 'programs') assert.ok(report.compiled > n * 0.05, `only ${report.compiled} of ${n} random programs compiled`);
      if (family === 'mutations') assert.ok(report.compiled > 0, 'no mutated program compiled');
    });
  });

  test('at least 3000 sources were checked', () => {
    assert.ok(total >= 3000 * Math.min(1, SCALE), `checked ${total}`);
  });

  test('the property check itself catches malformed diagnostics and caught exceptions', () => {
    const source = 'ab\ncd';
    const d = (start: number, end: number, line: number, column: number, endLine: number, endColumn: number) => ({
      code: 'E020' as const, severity: 'error' as const, message: 'm', span: { start, end },
      range: { start: { line, column, offset: start }, end: { line: endLine, column: endColumn, offset: end } },
    });
    assert.deepEqual(diagnosticProblems(source, [d(3, 5, 2, 1, 2, 3)]), []);
    assert.equal(diagnosticProblems(source, [d(3, 5, 1, 4, 2, 3)]).length, 1, 'wrong start line');
    assert.equal(diagnosticProblems(source, [d(4, 3, 2, 2, 2, 1)]).length, 1, 'start after end');
    assert.equal(diagnosticProblems(source, [d(3, 9, 2, 1, 2, 7)]).length, 1, 'past the end');
    assert.equal(diagnosticProblems(source, [d(-1, 0, 1, 0, 1, 1)]).length, 1, 'negative start');
    class Exploding extends FunctionRegistry {
      override withSimpleName(): never {
        throw new Error('boom');
      }
    }
    const broken = checkSource('x = add(1, 2)\nout x', new Exploding(STDLIB_SIGNATURES), 2_000);
    assert.ok(broken.problems.some((p) => p.includes('internal error (a caught exception): Internal compiler error: boom')), broken.problems.join('\n'));
    assert.deepEqual(checkSource('x = add(1, 2)\nout x', exampleRegistry(), 2_000).problems, []);
  });

  test('the generators are deterministic in the seed', () => {
    for (const [family] of FAMILIES) {
      const a = generator(family, 12345);
      const b = generator(family, 12345);
      const c = generator(family, 54321);
      const first = [0, 1, 2, 3, 4].map((i) => a(i));
      assert.deepEqual([0, 1, 2, 3, 4].map((i) => b(i)), first);
      assert.notDeepEqual([0, 1, 2, 3, 4].map((i) => c(i)), first);
    }
  });
});
