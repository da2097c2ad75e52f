import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CompileCache } from '../../runtime/compiler/cache.js';
import { compile, type CompileResult } from '../../runtime/compiler/compile.js';
import { FunctionRegistry } from '../../runtime/compiler/registry.js';
import { STDLIB_SIGNATURES } from '../../runtime/stdlib/index.js';
import { printType, T } from '../../runtime/types/type.js';
import { exampleSignatures, moduleSignature } from '../helpers/registry.js';

/**
 * The compile cache (cache.ts): keyed by source plus the fingerprints of the registry names the
 * program looked up, so unrelated registrations keep hits and relevant ones miss.
 */

function fresh(): FunctionRegistry {
  return new FunctionRegistry([...STDLIB_SIGNATURES, ...exampleSignatures()]);
}

const PROGRAM = 'in t: String\nin n: Int\nx = Uppercase(t)\ny = add(n, 1)\nout x\nout y';

describe('compile cache', () => {
  test('a hit returns the identical result object', () => {
    const cache = new CompileCache<CompileResult>();
    const reg = fresh();
    const first = compile(PROGRAM, reg, { cache });
    const second = compile(PROGRAM, reg, { cache });
    assert.equal(second, first);
    assert.deepEqual(cache.stats(), { hits: 1, misses: 1, evictions: 0, entries: 1, bytes: first.footprint, maxBytes: Infinity, hitRate: 0.5 });
    assert.ok(first.lookups.includes('Uppercase') && first.lookups.includes('add'), first.lookups.join(','));
  });

  test('a different source is a different entry', () => {
    const cache = new CompileCache<CompileResult>();
    const reg = fresh();
    const a = compile(PROGRAM, reg, { cache });
    const b = compile(PROGRAM + '\n', reg, { cache });
    assert.notEqual(b, a);
    assert.equal(cache.stats().entries, 2);
    assert.equal(b.hashes.structural, a.hashes.structural);
  });

  test('registering or removing an unrelated module keeps hits', () => {
    const cache = new CompileCache<CompileResult>();
    const reg = fresh();
    const first = compile(PROGRAM, reg, { cache });
    reg.register(moduleSignature('Unrelated', [['q', T.Int]], T.Int));
    reg.register(moduleSignature('acme.tools.Frob', [['q', T.Int]], T.Int));
    assert.equal(compile(PROGRAM, reg, { cache }), first);
    reg.deregister('Lowercase');
    assert.equal(compile(PROGRAM, reg, { cache }), first);
  });

  test('another registry instance with the same relevant signatures shares the entry', () => {
    const cache = new CompileCache<CompileResult>();
    const first = compile(PROGRAM, fresh(), { cache });
    const other = new FunctionRegistry([...STDLIB_SIGNATURES, ...exampleSignatures().filter((s) => s.name === 'Uppercase')]);
    assert.equal(compile(PROGRAM, other, { cache }), first);
  });

  test('changing a used module signature misses, and the new result uses the new type', () => {
    const cache = new CompileCache<CompileResult>();
    const reg = fresh();
    const first = compile(PROGRAM, reg, { cache });
    assert.equal(first.ok, true);
    reg.register(moduleSignature('Uppercase', [['text', T.Int]], T.Int));
    const second = compile(PROGRAM, reg, { cache });
    assert.notEqual(second, first);
    assert.equal(second.ok, false);
    assert.equal(second.diagnostics[0]?.code, 'E010');
    assert.equal(second.diagnostics[0]?.message, 'Type mismatch: expected Int, got String');
    // changing only the return type also misses
    const reg2 = fresh();
    const r1 = compile(PROGRAM, reg2, { cache });
    reg2.register(moduleSignature('Uppercase', [['text', T.String]], T.list(T.String)));
    const r2 = compile(PROGRAM, reg2, { cache });
    assert.notEqual(r2, r1);
    assert.equal(printType(r2.dag!.outputs[0]!.type), 'List<String>');
  });

  test('a program that failed with E002 compiles after the missing module is registered', () => {
    const cache = new CompileCache<CompileResult>();
    const reg = fresh();
    const source = 'in t: String\nx = Frobnicate(t)\nout x';
    const failed = compile(source, reg, { cache });
    assert.equal(failed.diagnostics[0]?.code, 'E002');
    assert.equal(compile(source, reg, { cache }), failed, 'still cached while nothing relevant changed');
    reg.register(moduleSignature('Frobnicate', [['text', T.String]], T.String));
    const ok = compile(source, reg, { cache });
    assert.equal(ok.ok, true, ok.diagnostics.map((d) => d.message).join('\n'));
    assert.equal(compile(source, reg, { cache }), ok);
  });

  test('a failed use compiles after the namespace appears; a qualified call too', () => {
    const cache = new CompileCache<CompileResult>();
    const reg = fresh();
    const source = 'use acme.tools\nx = acme.tools.frob(1)\ny = frob(2)\nout x\nout y';
    assert.equal(compile(source, reg, { cache }).diagnostics[0]?.code, 'E004');
    reg.register(moduleSignature('acme.tools.frob', [['n', T.Int]], T.Int));
    assert.equal(compile(source, reg, { cache }).ok, true);
  });

  test('a new function that makes a simple name ambiguous misses (E005)', () => {
    const cache = new CompileCache<CompileResult>();
    const reg = fresh();
    reg.register(moduleSignature('acme.nums.score', [['n', T.Int]], T.Int));
    const source = 'x = score(1)\nout x';
    assert.equal(compile(source, reg, { cache }).ok, true);
    reg.register(moduleSignature('acme.text.score', [['t', T.String]], T.Int));
    assert.equal(compile(source, reg, { cache }).diagnostics[0]?.code, 'E005');
  });

  test('removing a used module misses', () => {
    const cache = new CompileCache<CompileResult>();
    const reg = fresh();
    assert.equal(compile(PROGRAM, reg, { cache }).ok, true);
    reg.deregister('Uppercase');
    const r = compile(PROGRAM, reg, { cache });
    assert.equal(r.diagnostics[0]?.code, 'E002');
  });

  test('entries for two registries coexist', () => {
    const cache = new CompileCache<CompileResult>();
    const a = fresh();
    const b = fresh();
    b.register(moduleSignature('Uppercase', [['text', T.String]], T.Int));
    const ra = compile(PROGRAM, a, { cache });
    const rb = compile(PROGRAM, b, { cache });
    assert.notEqual(ra, rb);
    assert.equal(compile(PROGRAM, a, { cache }), ra);
    assert.equal(compile(PROGRAM, b, { cache }), rb);
    assert.equal(cache.stats().entries, 2);
  });

  test('least-recently-used eviction', () => {
    const cache = new CompileCache<CompileResult>(2);
    const reg = fresh();
    const a = compile('a = 1\nout a', reg, { cache });
    compile('b = 1\nout b', reg, { cache });
    assert.equal(compile('a = 1\nout a', reg, { cache }), a, 'refresh a');
    compile('c = 1\nout c', reg, { cache }); // evicts b, the least recently used
    assert.equal(cache.stats().evictions, 1);
    assert.equal(compile('a = 1\nout a', reg, { cache }), a);
    const hitsBefore = cache.stats().hits;
    compile('b = 1\nout b', reg, { cache });
    assert.equal(cache.stats().hits, hitsBefore, 'b was evicted');
  });

  test('bounded by bytes: a large source pushes older ones out, and one larger than the whole budget is not kept', () => {
    const cache = new CompileCache<CompileResult>(1000, 300_000);
    const reg = fresh();
    const big = (tag: string, n: number) => `s = "${tag}${'x'.repeat(n)}"\nout s`;
    const small = compile('a = 1\nout a', reg, { cache });
    const first = compile(big('first', 30_000), reg, { cache });
    assert.ok(first.footprint > 3 * 30_000, `the footprint counts the source and the DAG's copy of the literal (${first.footprint})`);
    assert.equal(cache.stats().entries, 2);
    compile(big('second', 30_000), reg, { cache });
    assert.ok(cache.stats().bytes <= 300_000, `within the budget (${cache.stats().bytes})`);
    assert.equal(cache.stats().evictions, 2, 'the older entries went (least recently used first)');
    assert.notEqual(compile('a = 1\nout a', reg, { cache }), small);
    const hits = cache.stats().hits;
    const huge = big('huge', 200_000);
    compile(huge, reg, { cache });
    compile(huge, reg, { cache });
    assert.equal(cache.stats().hits, hits, 'never cached');
  });

  test('clear empties the cache', () => {
    const cache = new CompileCache<CompileResult>();
    const reg = fresh();
    const a = compile(PROGRAM, reg, { cache });
    cache.clear();
    assert.equal(cache.stats().entries, 0);
    assert.notEqual(compile(PROGRAM, reg, { cache }), a);
  });
});
