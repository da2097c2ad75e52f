import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { compile } from '../../runtime/compiler/compile.js';
import { canonicalJson, structuralHash, syntacticHash } from '../../runtime/compiler/hash.js';
import { DiagnosticSink } from '../../runtime/language/diagnostics.js';
import { lex } from '../../runtime/language/lexer.js';
import { compilingCases } from '../helpers/conformance.js';
import { registry } from '../helpers/diagnostics.js';
import { exampleRegistry } from '../helpers/registry.js';

/**
 * Hashes (docs/decisions.md #14): the structural hash is a function of the DAG only —
 * the same in a fresh process, blind to whitespace and comments, sensitive to any semantic
 * change; the syntactic hash is the SHA-256 of the text.
 */

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Offsets of the line feeds that are not inside a string literal (safe places for layout changes). */
function layoutNewlines(source: string): number[] {
  const strings = lex(source, new DiagnosticSink()).filter((t) => t.kind === 'string');
  const out: number[] = [];
  for (let i = 0; i < source.length; i++) {
    if (source.charCodeAt(i) === 10 && !strings.some((s) => s.start < i && i < s.end)) out.push(i);
  }
  return out;
}

/** Same program, other layout: a leading comment, comments at line ends, blank lines, indentation. */
function relayout(source: string): string {
  const newlines = new Set(layoutNewlines(source));
  let out = '# a comment that changes nothing\n\n';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    out += newlines.has(i) ? '   # trailing comment\n\n    ' : c;
  }
  return out + '\n# the end\n';
}

describe('hash stability', () => {
  const cases = compilingCases();

  test('the syntactic hash is the SHA-256 of the source text', () => {
    for (const c of cases) assert.equal(compile(c.source, registry()).hashes.syntactic, sha256(c.source));
    assert.equal(syntacticHash(''), sha256(''));
  });

  test('the structural hash is the SHA-256 of the canonical JSON of the DAG', () => {
    for (const c of cases) {
      const r = compile(c.source, registry());
      assert.equal(r.hashes.structural, sha256(canonicalJson(r.dag)));
      assert.equal(structuralHash(r.dag!), r.hashes.structural);
    }
  });

  test('the recipe is pinned (changing it is a versioned migration)', () => {
    const r = compile('in x: Int\nout x', registry());
    assert.equal(
      canonicalJson(r.dag),
      '{"formatVersion":1,"inputs":[{"name":"x","node":0,"type":{"k":"Int"}}],"layers":[0],"nodes":[{"id":0,"kind":"input","name":"x","type":{"k":"Int"}}],"outputs":[{"name":"x","node":0,"type":{"k":"Int"}}],"variables":["x"]}',
    );
    assert.equal(r.hashes.structural, 'fc2cd3ad37970f14f5b19fff66de5cf241c9a293c5c81ba5cdde23d3bfceee21');
    assert.equal(canonicalJson({ b: [1, 'x', null, undefined, Number.NaN], a: { d: undefined, c: -0, e: 1.5 } }), '{"a":{"c":0,"e":1.5},"b":[1,"x",null,null,"NaN"]}');
  });

  test('key order and object identity do not matter', () => {
    for (const c of cases.slice(0, 10)) {
      const dag = compile(c.source, registry()).dag!;
      const reversed = (v: unknown): unknown =>
        Array.isArray(v) ? v.map(reversed) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
      assert.equal(structuralHash(reversed(dag) as typeof dag), structuralHash(dag));
      assert.equal(structuralHash(JSON.parse(JSON.stringify(dag))), structuralHash(dag));
    }
  });

  test('a fresh registry instance and a fresh compile give the same hashes', () => {
    for (const c of cases) {
      const a = compile(c.source, registry());
      const b = compile(c.source, exampleRegistry());
      assert.deepEqual(b.hashes, a.hashes, c.file);
    }
  });

  test('same hashes in a fresh node process', () => {
    const sources = [...cases.map((c) => c.source), 'in x: Int\nout x'];
    const url = (p: string): string => new URL(p, import.meta.url).href;
    const script = `
      import { readFileSync } from 'node:fs';
      import { compile } from ${JSON.stringify(url('../../runtime/compiler/compile.js'))};
      import { standardRegistry } from ${JSON.stringify(url('../../runtime/stdlib/index.js'))};
      import { exampleModules } from ${JSON.stringify(url('../../examples/modules/index.js'))};
      import { signatureOf } from ${JSON.stringify(url('../../runtime/modules/define.js'))};
      const registry = standardRegistry(exampleModules.map(signatureOf));
      const sources = JSON.parse(readFileSync(0, 'utf8'));
      process.stdout.write(JSON.stringify(sources.map((s) => compile(s, registry).hashes)));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { input: JSON.stringify(sources), encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    const theirs = JSON.parse(child.stdout) as { syntactic: string; structural: string | null }[];
    const ours = sources.map((s) => compile(s, registry()).hashes);
    assert.equal(theirs.length, ours.length);
    theirs.forEach((h, i) => {
      assert.ok(h.structural, `no structural hash for source ${i}`);
      assert.deepEqual(h, ours[i], `hashes of source ${i} differ between processes`);
    });
  });

  test('whitespace and comment changes keep the structural hash and change the syntactic one', () => {
    for (const c of cases) {
      const other = relayout(c.source);
      const a = compile(c.source, registry());
      const b = compile(other, registry());
      assert.equal(b.ok, true, `${c.file} relayout does not compile:\n${other}`);
      assert.equal(b.hashes.structural, a.hashes.structural, `${c.file}: layout changed the structural hash`);
      assert.notEqual(b.hashes.syntactic, a.hashes.syntactic);
      // the source map follows the text, so it differs, but it is not part of the hash
      assert.notDeepEqual(b.sourceMap, a.sourceMap);
    }
  });

  test('CRLF line endings and tabs are layout too', () => {
    const source = 'in a: Int\nb = a + 1\nout b';
    const a = compile(source, registry());
    const b = compile(source.replace(/\n/g, '\r\n').replace(/ /g, '\t'), registry());
    assert.equal(b.hashes.structural, a.hashes.structural);
  });

  test('semantic changes change the structural hash', () => {
    const base = 'in a: Int\nin t: String\nb = a + 1\nc = Uppercase(t) with retry: 2\nout b\nout c';
    const variants = [
      base.replace('a + 1', 'a + 2'),
      base.replace('a + 1', 'a - 1'),
      base.replace('a + 1', '1 + a'),
      base.replace('retry: 2', 'retry: 3'),
      base.replace('Uppercase', 'Lowercase'),
      base.replace('in a: Int', 'in a: Float'),
      base.replace('b = a + 1', 'bb = a + 1').replace('out b\n', 'out bb\n'),
      base.replace('out b\n', ''),
      base + '\nout a',
      base.replace('with retry: 2', ''),
      base.replace('with retry: 2', 'with retry: 2, timeout: 1s'),
    ];
    const hashes = new Set([compile(base, registry()).hashes.structural]);
    for (const v of variants) {
      const r = compile(v, registry());
      assert.ok(r.ok, v);
      assert.ok(!hashes.has(r.hashes.structural), `variant did not change the hash:\n${v}`);
      hashes.add(r.hashes.structural);
    }
  });

  test('distinct conformance programs have distinct structural hashes (006 and 007 are the same program)', () => {
    const byHash = new Map<string, { file: string; source: string }>();
    for (const c of cases) {
      const h = compile(c.source, registry()).hashes.structural!;
      const seen = byHash.get(h);
      if (seen) assert.equal(c.source, seen.source, `${c.file} and ${seen.file} share a structural hash`);
      byHash.set(h, { file: c.file, source: c.source });
    }
    assert.equal(byHash.size, new Set(cases.map((c) => c.source)).size);
  });

  test('a failed compilation has a syntactic hash but no structural hash', () => {
    const r = compile('x = nope\nout x', registry());
    assert.equal(r.hashes.structural, null);
    assert.equal(r.hashes.syntactic, sha256('x = nope\nout x'));
  });
});
