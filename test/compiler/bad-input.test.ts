import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile, type CompileResult } from '../../runtime/compiler/compile.js';
import { assertDiagnosticsWellFormed, formatDiagnostics, registry } from '../helpers/diagnostics.js';
import { prng } from '../helpers/fuzz.js';

/**
 * Hostile and huge inputs: binary garbage, a megabyte of brackets, runaway interpolations,
 * unterminated literals, ten thousand declarations. Each compiles or yields diagnostics — never
 * an exception, never a stack overflow (which compile() would turn into an internal E900), and
 * within generous time bounds (timing goals themselves live in bench/).
 */

const MB = 1 << 20;
/** Generous: the slowest of these takes well under a second on a laptop. */
const BOUND_MS = 15_000;

const DELIBERATE_E900 = /^Internal compiler error: (Unsupported function in lambda body|module options)/;

function run(source: string): CompileResult {
  const t0 = performance.now();
  let r: CompileResult;
  try {
    r = compile(source, registry());
  } catch (e) {
    assert.fail(`compile threw on ${JSON.stringify(source.slice(0, 80))}…: ${e instanceof Error ? e.stack : String(e)}`);
  }
  const ms = performance.now() - t0;
  assert.ok(ms < BOUND_MS, `compile took ${ms.toFixed(0)} ms`);
  for (const d of r.diagnostics) {
    if (d.code === 'E900') assert.match(d.message, DELIBERATE_E900, `an internal error (caught exception or stack overflow): ${d.message}`);
  }
  assertDiagnosticsWellFormed(source, r.diagnostics);
  assert.equal(r.ok, r.diagnostics.every((d) => d.severity !== 'error'));
  return r;
}

function fails(source: string, pattern?: RegExp): CompileResult {
  const r = run(source);
  assert.equal(r.ok, false);
  assert.ok(r.diagnostics.some((d) => d.code === 'E020'), formatDiagnostics(r.diagnostics.slice(0, 5)));
  if (pattern) assert.ok(r.diagnostics.some((d) => pattern.test(d.message)), `no diagnostic matching ${pattern}:\n${formatDiagnostics(r.diagnostics.slice(0, 5))}`);
  return r;
}

function randomBytes(seed: number, length: number): Buffer {
  const rng = prng(seed);
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(rng() * 256);
  return b;
}

describe('bad input', () => {
  test('binary garbage decoded as latin1', () => {
    for (const [seed, size] of [[1, 1024], [2, 64 * 1024], [3, MB]] as const) fails(randomBytes(seed, size).toString('latin1'));
  });

  test('binary garbage decoded as utf8 (replacement characters, surrogate pairs)', () => {
    for (const [seed, size] of [[4, 1024], [5, 64 * 1024], [6, MB]] as const) fails(randomBytes(seed, size).toString('utf8'));
  });

  test('lone surrogates, NUL and other control characters', () => {
    fails('x = 1\uD800\nout x', /unexpected character/);
    fails('x = 1 \uDC00\uD800 2\nout x', /unexpected character/);
    fails('\u0000'.repeat(10_000), /unexpected character/);
    fails('in x: Int\u000cout x', /unexpected character/);
  });

  for (const [name, open] of [['(', '('], ['[', '['], ['{', '{'], ['mixed ([{', '([{']] as const) {
    test(`1 MB of nested ${name} in an expression`, () => {
      fails(`x = ${open.repeat(Math.floor(MB / open.length))}\nout x`);
    });
    test(`1 MB of ${name} at top level`, () => {
      fails(open.repeat(Math.floor(MB / open.length)));
    });
  }

  test('deep but balanced nesting is cut off with a clear error, then recovery continues', () => {
    const depth = 100_000;
    const r = fails(`x = ${'('.repeat(depth)}1${')'.repeat(depth)}\ny = nope\nout y`, /nested too deeply/);
    assert.ok(r.diagnostics.some((d) => d.code === 'E001' && d.message === 'Undefined variable: nope'), 'the next declaration is still checked');
    fails(`x = ${'['.repeat(depth)}1${']'.repeat(depth)}\nout x`, /nested too deeply/);
    fails(`x = ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\nout x`, /nested too deeply/);
    fails(`in x: ${'List<'.repeat(depth)}Int${'>'.repeat(depth)}\nout x`, /nested too deeply/);
  });

  test('nesting within the limit compiles', () => {
    const r = run(`x = ${'('.repeat(150)}1${')'.repeat(150)}\ny = ${'['.repeat(60)}1${']'.repeat(60)}\nout x\nout y`);
    assert.equal(r.ok, true, formatDiagnostics(r.diagnostics));
  });

  test('long operator chains and prefix chains', () => {
    fails(`x = ${Array.from({ length: 100_000 }, (_, i) => i).join(' + ')}\nout x`, /operator chain is too long/);
    fails(`x = ${Array.from({ length: 100_000 }, () => 'true').join(' and ')}\nout x`, /operator chain is too long/);
    fails(`x = ${'not '.repeat(200_000)}true\nout x`, /nested too deeply/);
    fails(`x = ${'-'.repeat(200_000)}1\nout x`, /nested too deeply/);
    fails(`in o: Optional<Int>\nx = ${'o ?? '.repeat(100_000)}1\nout x`, /nested too deeply/);
    fails(`x = ${'if (true) 1 else '.repeat(50_000)}1\nout x`, /nested too deeply/);
    fails(`in r: {a: Int}\nx = r${'.a'.repeat(200_000)}\nout x`, /too long/);
    fails(`type T = ${Array.from({ length: 50_000 }, (_, i) => `{a${i}: Int}`).join(' + ')}\nin x: T\nout x`, /too long/);
  });

  test('"${ repeated (each ${ an unterminated interpolation or a stray $)', () => {
    // a quarter megabyte: every few characters is a diagnostic, and all of them are reported
    fails('"${'.repeat(Math.floor(MB / 12)));
    fails(`x = "${'${'.repeat(Math.floor(MB / 8))}`);
    fails(`x = ${'"${'.repeat(100_000)}1${'}"'.repeat(100_000)}\nout x`, /nested too deeply/);
  });

  test('unterminated strings and interpolations', () => {
    fails(`x = "${'a'.repeat(MB)}`, /unterminated string literal/);
    fails(`x = "${'a\\n'.repeat(MB / 4)}`, /unterminated string literal/);
    fails(`x = "abc \${ 1 + ${'2 + '.repeat(100_000)}`, /unterminated string interpolation/);
    fails('x = "a ${ "b ${ "c ${', /unterminated string interpolation/);
    fails('x = "${', /unterminated string interpolation/);
    fails('x = "\\', /unterminated string literal/);
    fails('x = "\\"', /unterminated string literal/);
  });

  test('huge but valid tokens: a 1 MB identifier, string, comment and list', () => {
    const id = `a${'b'.repeat(MB)}`;
    assert.equal(run(`${id} = 1\nout ${id}`).ok, true);
    assert.equal(run(`x = "${'z'.repeat(MB)}"\nout x`).ok, true);
    assert.equal(run(`# ${'c'.repeat(MB)}\nx = 1\nout x`).ok, true);
    assert.equal(run(`x = [${Array.from({ length: 100_000 }, (_, i) => i).join(', ')}]\nout x`).ok, true);
  });

  test('10 000 declarations compile', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `x${i} = ${i}`);
    const r = run(`${lines.join('\n')}\nout x9999\n`);
    assert.equal(r.ok, true, formatDiagnostics(r.diagnostics.slice(0, 5)));
    assert.equal(r.dag!.nodes.length, 10_000);
    assert.deepEqual(r.dag!.outputs.map((o) => o.name), ['x9999']);
  });

  test('10 000 chained declarations, 10 000 inputs, 10 000 module calls', () => {
    const chain = Array.from({ length: 10_000 }, (_, i) => (i === 0 ? 'x0 = 1' : `x${i} = x${i - 1} + 1`));
    const a = run(`${chain.join('\n')}\nout x9999`);
    assert.equal(a.ok, true);
    assert.equal(Math.max(...a.dag!.layers), 9_999, 'a chain is 10 000 layers deep');
    const inputs = Array.from({ length: 10_000 }, (_, i) => `in i${i}: Int`);
    assert.equal(run(`${inputs.join('\n')}\nout i0`).ok, true);
    const calls = Array.from({ length: 10_000 }, (_, i) => `u${i} = Uppercase(${i === 0 ? '"a"' : `u${i - 1}`})`);
    const c = run(`${calls.join('\n')}\nout u9999`);
    assert.equal(c.ok, true);
    assert.equal(c.dag!.nodes.filter((n) => n.kind === 'module').length, 10_000);
  });

  test('10 000 independent errors: the first 999 are reported, then a count of the rest, in linear time', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `x${i} = nope${i}`);
    const t0 = performance.now();
    const r = run(`${lines.join('\n')}\nout x0`);
    // did-you-mean over every binding for every error was quadratic: 14 s here
    assert.ok(performance.now() - t0 < 3_000, `took ${(performance.now() - t0).toFixed(0)} ms`);
    const e001 = r.diagnostics.filter((d) => d.code === 'E001');
    assert.equal(e001.length, 999);
    assert.equal(e001[998]!.message, 'Undefined variable: nope998');
    assert.ok(e001[0]!.suggestions && e001[0]!.suggestions.length > 0, 'the first errors keep their suggestions');
    assert.equal(r.diagnostics.length, 1000);
    assert.match(r.diagnostics[999]!.message, /^Too many problems: 9001 more not shown$/);
  });

  test('a single very long line of declarations', () => {
    const r = run(`${Array.from({ length: 20_000 }, (_, i) => `x${i} = ${i}`).join(' ')} out x1`);
    assert.equal(r.ok, true);
  });
});
