import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile } from '../../runtime/compiler/compile.js';
import type { Dag } from '../../runtime/compiler/dag.js';
import { toDot, toMermaid } from '../../runtime/compiler/render.js';
import { compilingCases } from '../helpers/conformance.js';
import { registry } from '../helpers/diagnostics.js';

/** DOT and Mermaid rendering (render.ts): every node, edge, gate and output appears. */

const SAMPLE = [
  'in c: Boolean',
  'in t: String',
  'in n: Int',
  'in xs: List<Int>',
  'u = Uppercase(t) with retry: 1',
  'label = "<${u}> \\"quoted\\""',
  'a = if (c) Lowercase(u) else Trim(label)',
  's = list-sum(xs)',
  'm = n + 1',
  'out a',
  'out m',
  'out s',
  'out match-score',
].join('\n');

function sample(): Dag {
  const r = compile(SAMPLE.replace('out match-score', 'match-score = m * 2\nout match-score'), registry());
  assert.ok(r.ok && r.dag, r.diagnostics.map((d) => d.message).join('\n'));
  return r.dag;
}

function edges(dag: Dag): [number, number][] {
  return dag.nodes.flatMap((n) => (n.kind === 'module' ? n.args : n.kind === 'transform' ? n.deps : []).map((d): [number, number] => [d, n.id]));
}

describe('render', () => {
  test('DOT: a digraph with every node, data edge, gate edge and output', () => {
    const dag = sample();
    const dot = toDot(dag, 'my "pipeline"');
    assert.match(dot, /^digraph "my \\"pipeline\\"" \{\n/);
    assert.match(dot, /\}\n$/);
    for (const n of dag.nodes) assert.match(dot, new RegExp(`^  n${n.id} \\[label=".*", shape=`, 'm'), `node ${n.id}`);
    for (const [from, to] of edges(dag)) assert.ok(dot.includes(`  n${from} -> n${to};`), `edge ${from} -> ${to}`);
    const gated = dag.nodes.filter((n) => n.gate);
    assert.ok(gated.length >= 2, 'the sample has gated arms');
    for (const n of gated) assert.ok(dot.includes(`  n${n.gate!.node} -> n${n.id} [style=dashed, label="${n.gate!.test}"];`), `gate of ${n.id}`);
    for (const o of dag.outputs) {
      const id = `out_${o.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
      assert.ok(dot.includes(`  ${id} [label="out ${o.name}", shape=doublecircle];`), o.name);
      assert.ok(dot.includes(`  n${o.node} -> ${id};`));
    }
    // labels name inputs with their types, module calls by function, escaped quotes
    assert.ok(dot.includes('label="in t: String", shape=ellipse'));
    assert.ok(dot.includes('label="Uppercase → u", shape=box'));
    assert.ok(dot.includes('label="Lowercase", shape=box'));
    assert.ok(dot.includes('label="in xs: List<Int>", shape=ellipse'));
  });

  test('Mermaid: a flowchart with every node, edge, gate and output, with <, > and " escaped', () => {
    const dag = sample();
    const mm = toMermaid(dag);
    assert.match(mm, /^flowchart LR\n/);
    for (const n of dag.nodes) assert.match(mm, new RegExp(`^  n${n.id}[\\[(]`, 'm'), `node ${n.id}`);
    for (const n of dag.nodes.filter((x) => x.kind === 'input')) assert.ok(mm.includes(`  n${n.id}(["in ${n.name}: `), n.name);
    assert.ok(mm.includes('(["in xs: List#lt;Int#gt;"])'), 'type brackets are escaped');
    for (const [from, to] of edges(dag)) {
      assert.ok(mm.includes(`  n${from} --> n${to}\n`) || mm.includes(`  n${from} -. `), `edge ${from} -> ${to}`);
    }
    for (const n of dag.nodes.filter((x) => x.gate)) assert.ok(mm.includes(`  n${n.gate!.node} -. ${n.gate!.test} .-> n${n.id}`), `gate of ${n.id}`);
    for (const o of dag.outputs) {
      const id = `out_${o.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
      assert.ok(mm.includes(`  ${id}((("out ${o.name}")))`), o.name);
      assert.ok(mm.includes(`  n${o.node} --> ${id}`));
    }
    // no raw angle brackets or quotes inside node texts
    for (const line of mm.split('\n').filter((l) => /^ {2}n\d+[[(]/.test(l))) {
      const text = line.slice(line.indexOf('"') + 1, line.lastIndexOf('"'));
      assert.ok(!/[<>"]/.test(text), `unescaped text: ${line}`);
    }
  });

  test('every conformance DAG renders, naming every node and output', () => {
    for (const c of compilingCases()) {
      const dag = compile(c.source, registry()).dag!;
      const dot = toDot(dag);
      const mm = toMermaid(dag);
      for (const n of dag.nodes) {
        assert.ok(dot.includes(`  n${n.id} [`), `${c.file} dot node ${n.id}`);
        assert.ok(new RegExp(`^  n${n.id}[\\[(]`, 'm').test(mm), `${c.file} mermaid node ${n.id}`);
      }
      for (const o of dag.outputs) {
        assert.ok(dot.includes(`out ${o.name}`), `${c.file} dot output ${o.name}`);
        assert.ok(mm.includes(`out ${o.name}`), `${c.file} mermaid output ${o.name}`);
      }
    }
  });

  test('rendering is deterministic', () => {
    assert.equal(toDot(sample()), toDot(sample()));
    assert.equal(toMermaid(sample()), toMermaid(sample()));
  });
});
