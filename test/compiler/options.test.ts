import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CompileResult } from '../../runtime/compiler/compile.js';
import type { ModuleCallOptions } from '../../runtime/compiler/options.js';
import { compiles, expectError, nodeOf, outputType, rangeTuple, warningsOf, type RangeTuple } from '../helpers/diagnostics.js';

/**
 * `with` clauses: the normalised option values stored on module nodes, the
 * fallback lowering, and the warnings W001–W009 with their exact ranges.
 */

function call(options: string): string {
  return `in r: String\nx = Uppercase(r) with ${options}\nout x`;
}

function optionsOf(r: CompileResult, fn = 'Uppercase'): ModuleCallOptions | undefined {
  const m = r.dag!.nodes.find((n) => n.kind === 'module' && n.function === fn);
  assert.ok(m && m.kind === 'module', `no module node for ${fn}`);
  return m.options;
}

function warnings(r: CompileResult): [string, string, RangeTuple][] {
  return warningsOf(r).map((w) => [w.code, w.message, rangeTuple(w)]);
}

describe('normalised option values', () => {
  test('every option at once, in reference field names, durations in milliseconds', () => {
    const r = compiles(call('retry: 3, delay: 1s, backoff: linear, timeout: 5min, cache: 1h, cache_backend: "memory", throttle: 100/1min, concurrency: 4, on_error: log, lazy, priority: high, batch: 10, batch_timeout: 2d, checkpoint: 500ms, join: buffer(3s)'));
    assert.deepEqual(optionsOf(r), {
      retry: 3,
      delayMs: 1000,
      backoff: 'linear',
      timeoutMs: 300_000,
      cacheMs: 3_600_000,
      cacheBackend: 'memory',
      throttleCount: 100,
      throttlePerMs: 60_000,
      concurrency: 4,
      onError: 'log',
      lazyEval: true,
      priority: 80,
      batchSize: 10,
      batchTimeoutMs: 172_800_000,
      checkpointMs: 500,
      joinStrategy: 'buffer:3000',
    });
    assert.deepEqual(warnings(r), []);
  });

  test('lazy may appear anywhere in the list, bare or with a value', () => {
    assert.equal(optionsOf(compiles(call('retry: 1, lazy')))?.lazyEval, true);
    assert.equal(optionsOf(compiles(call('retry: 1, lazy, priority: low')))?.lazyEval, true);
    assert.equal(optionsOf(compiles(call('retry: 1, lazy: false, timeout: 1s')))?.lazyEval, false);
    assert.equal(optionsOf(compiles(call('lazy: true')))?.lazyEval, true);
  });

  test('priority levels map to integers; integers are clamped to 0…100', () => {
    const levels: [string, number][] = [['critical', 100], ['high', 80], ['normal', 50], ['low', 20], ['background', 0], ['42', 42], ['-5', 0], ['150', 100]];
    for (const [value, expected] of levels) assert.equal(optionsOf(compiles(call(`priority: ${value}`)))?.priority, expected, value);
  });

  test('window and join forms', () => {
    assert.equal(optionsOf(compiles(call('window: tumbling(1s)')))?.window, 'tumbling:1000');
    assert.equal(optionsOf(compiles(call('window: sliding(10s, 5s)')))?.window, 'sliding:10000:5000');
    assert.equal(optionsOf(compiles(call('window: count(3)')))?.window, 'count:3');
    assert.equal(optionsOf(compiles(call('join: combine_latest')))?.joinStrategy, 'combine-latest');
    assert.equal(optionsOf(compiles(call('join: zip')))?.joinStrategy, 'zip');
  });

  test('duration units: ms, s, min, h, d', () => {
    const units: [string, number][] = [['7ms', 7], ['7s', 7000], ['7min', 420_000], ['7h', 25_200_000], ['7d', 604_800_000]];
    for (const [d, ms] of units) assert.equal(optionsOf(compiles(call(`timeout: ${d}`)))?.timeoutMs, ms, d);
  });

  test('a space after / in a rate is tolerated', () => {
    assert.deepEqual(optionsOf(compiles(call('throttle: 5/ 2s'))), { throttleCount: 5, throttlePerMs: 2000 });
  });

  test('a repeated option: the last one wins', () => {
    assert.equal(optionsOf(compiles(call('retry: 1, retry: 3')))?.retry, 3);
  });

  test('options across lines', () => {
    const r = compiles('in r: String\nx = Uppercase(r) with\n  retry: 2,\n  timeout: 10s\ny = Lowercase(r)\nout x\nout y');
    assert.deepEqual(optionsOf(r), { retry: 2, timeoutMs: 10_000 });
    assert.equal(optionsOf(r, 'Lowercase'), undefined);
  });

  test('options on standard-library calls', () => {
    const r = compiles('x = divide(10, 0) with fallback: -1, retry: 1\nout x');
    assert.deepEqual(optionsOf(r, 'stdlib.math.divide'), { hasFallback: true, retry: 1 });
  });
});

describe('fallback', () => {
  test('a recover node yields the call value or the fallback; the output reads it', () => {
    const r = compiles(call('fallback: "n/a"'));
    assert.deepEqual(optionsOf(r), { hasFallback: true });
    const x = nodeOf(r, 'x');
    assert.equal(x.kind, 'transform');
    assert.deepEqual(x.kind === 'transform' && x.expr, { op: 'recover', primary: 1, fallback: { op: 'lit', value: 'n/a' } });
    assert.equal(x.kind === 'transform' && x.recovers, 1);
    assert.equal(r.dag!.outputs[0]!.node, x.id);
  });

  test('a fallback that calls a module runs only when the call failed', () => {
    const r = compiles(call('fallback: Lowercase(r)'));
    const lower = r.dag!.nodes.find((n) => n.kind === 'module' && n.function === 'Lowercase');
    assert.deepEqual(lower?.gate, { node: 1, test: 'failed' });
  });

  test('a fallback call with its own with clause absorbs the options after it', () => {
    const absorbed = compiles(call('fallback: Lowercase(r) with retry: 2, timeout: 1s'));
    assert.deepEqual(optionsOf(absorbed), { hasFallback: true });
    assert.deepEqual(optionsOf(absorbed, 'Lowercase'), { retry: 2, timeoutMs: 1000 });
    const separate = compiles(call('fallback: Lowercase(r), retry: 2'));
    assert.deepEqual(optionsOf(separate), { hasFallback: true, retry: 2 });
    assert.equal(optionsOf(separate, 'Lowercase'), undefined);
  });

  test('a fallback may be a subtype of the return type', () => {
    const reg = compiles('in t: String\nx = Split(t, ",") with fallback: []\nout x');
    assert.equal(outputType(reg, 'x'), 'List<String>');
  });

  test('a fallback of another type is E017', () => {
    expectError(call('fallback: 1'), 'E017', 'Fallback type mismatch: module returns String but fallback is Int', [2, 33, 2, 34]);
  });
});

describe('warnings W001–W009 (compilation succeeds)', () => {
  const cases: [string, string, string, RangeTuple][] = [
    ['delay: 1s', 'W001', "'delay' without 'retry' has no effect", [2, 23, 2, 32]],
    ['retry: 1, backoff: linear', 'W002', "'backoff' without 'delay' has no effect", [2, 33, 2, 48]],
    ['delay: 1s, retry: 1, cache_backend: "redis"', 'W004', "'cache_backend' without 'cache' has no effect", [2, 44, 2, 66]],
    ['batch_timeout: 1s', 'W005', "'batch_timeout' without 'batch' has no effect", [2, 23, 2, 40]],
    ['retry: 11', 'W006', 'High retry count (11) - consider using a lower value with exponential backoff', [2, 23, 2, 32]],
    ['window: tumbling(1s), batch: 3', 'W007', "'window' and 'batch' are mutually exclusive; 'batch' will be ignored", [2, 45, 2, 53]],
    ['on_error: wrap', 'W008', "'on_error: wrap' has no typed result in constellation-lang; it is treated as 'propagate'", [2, 23, 2, 37]],
    ['on_error: skip, fallback: "z"', 'W009', "'on_error: skip' has no effect when the call has a 'fallback' (the fallback takes precedence)", [2, 23, 2, 37]],
  ];
  for (const [options, code, message, range] of cases) {
    test(`${code}: ${options}`, () => {
      const r = compiles(call(options));
      assert.deepEqual(warnings(r), [[code, message, range]]);
      assert.equal(warningsOf(r)[0]!.severity, 'warning');
    });
  }

  test('W002 and W003 together: backoff alone', () => {
    const r = compiles(call('backoff: exponential'));
    assert.deepEqual(warnings(r), [
      ['W002', "'backoff' without 'delay' has no effect", [2, 23, 2, 43]],
      ['W003', "'backoff' without 'retry' has no effect", [2, 23, 2, 43]],
    ]);
  });

  test('W003 alone: backoff with delay but no retry (plus W001)', () => {
    const r = compiles(call('delay: 1s, backoff: fixed'));
    assert.deepEqual(warnings(r).map((w) => w[0]), ['W001', 'W003']);
  });

  test('W009 also for options on a higher-order call', () => {
    const r = compiles('in xs: List<Int>\ny = map(xs, (x) => x) with cache: 1s\nout y');
    assert.deepEqual(warnings(r), [['W009', 'Options on map are ignored: higher-order functions run inline', [2, 28, 2, 37]]]);
  });

  test('a complete resilient call has no warnings', () => {
    const r = compiles(call('retry: 3, delay: 10ms, backoff: exponential, timeout: 1s, cache: 5min, cache_backend: "memory"'));
    assert.deepEqual(warnings(r), []);
  });

  test('warnings are in source order with errors of other declarations', () => {
    const r = compiles('in r: String\na = Uppercase(r) with retry: 12\nb = Lowercase(r) with delay: 5ms\nout a\nout b');
    assert.deepEqual(warnings(r).map((w) => [w[0], w[2][0]]), [['W006', 2], ['W001', 3]]);
  });
});

describe('timer limits', () => {
  test('a timeout or delay longer than the longest timer (2^31 − 1 ms) is E016; a long cache TTL is fine', () => {
    expectError(call('timeout: 25d'), 'E016', "Invalid value for 'timeout': 25d (must be at most 2147483647ms, about 24 days)", [2, 23, 2, 35]);
    expectError(call('retry: 1, delay: 600h'), 'E016', "Invalid value for 'delay': 600h (must be at most 2147483647ms, about 24 days)", [2, 33, 2, 44]);
    assert.equal(optionsOf(compiles(call('timeout: 24d')))?.timeoutMs, 24 * 86_400_000);
    assert.equal(optionsOf(compiles(call('cache: 365d')))?.cacheMs, 365 * 86_400_000);
  });
});
