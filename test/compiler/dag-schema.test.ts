import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile } from '../../runtime/compiler/compile.js';
import type { Dag } from '../../runtime/compiler/dag.js';
import { parseDag } from '../../runtime/compiler/dag-schema.js';
import { decodeWire, encodeWire, WIRE_FORMAT_VERSION } from '../../runtime/values/codec.js';
import { compilingCases } from '../helpers/conformance.js';
import { registry } from '../helpers/diagnostics.js';

/**
 * The DAG IR as data (dag-schema.ts, values/codec.ts): every compiled DAG survives JSON and the
 * msgpack wire format and is accepted by the zod schema; corrupted DAGs are rejected.
 */

/** Programs that exercise IR shapes the corpus may not: gates of every kind, select/matchIndex, coercions, recover, lambdas. */
const EXTRA_PROGRAMS = [
  'in c: Boolean\nin d: Boolean\nin t: String\nb = branch { c -> Uppercase(t), d -> Lowercase(t), otherwise -> Trim(t) }\ny = if (c) (if (d) Uppercase(t) else t) else t\nout b\nout y',
  'in u: {v: String} | String\nr = match u { {v} -> Uppercase(v), is String -> "s" }\nout r',
  'in u: {a: Int} | {a: Float}\nx = match u { {a} -> a }\nout x',
  'in o: Optional<String>\nin c: Boolean\nr = o ?? Uppercase("x")\ng = Lowercase("y") when c\na = c and Contains("t", "a")\nout r\nout g\nout a',
  'in t: String\nx = Uppercase(t) with fallback: Lowercase(t) with retry: 2, timeout: 1s\ny = Trim(t) with retry: 1, delay: 5ms, backoff: exponential, cache: 1min, cache_backend: "memory", throttle: 3/1s, concurrency: 2, on_error: skip, lazy, priority: critical, batch: 2, batch_timeout: 1s, window: sliding(2s, 1s), checkpoint: 1h, join: buffer(1s)\nout x\nout y',
  'in ns: List<Int>\nin k: Int\nf = map(ns, (x) => if (x / k > 1) concat("a", "b") else "c")\ng = filter(ns, (x) => x != k)\nout f\nout g',
  'in c: Boolean\nx = if (c) 1 else "s"\nl = [1, 2.5, "x"]\nm = {a: [1], b: {c: true}}\nn = -(1.5)\nout x\nout l\nout m\nout n',
  'in xs: List<{a: Int}>\nin ys: List<{b: Int}>\nin r: {c: Int}\nz = (xs + ys)[a, b]\nbr = xs + r\nbl = r + ys\nf = br.c\nout z\nout bl\nout f',
  'in m: Map<String, List<Int>>\nin s: Seq<Boolean>\nout m\nout s',
];

function programs(): { name: string; dag: Dag }[] {
  const all = [...compilingCases().map((c) => ({ name: c.file, source: c.source })), ...EXTRA_PROGRAMS.map((source, i) => ({ name: `extra ${i}`, source }))];
  return all.map(({ name, source }) => {
    const r = compile(source, registry());
    assert.ok(r.ok && r.dag, `${name} does not compile`);
    return { name, dag: r.dag };
  });
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('DAG schema and wire format', () => {
  const dags = programs();

  test('the extra programs cover every gate test and the less common IR ops', () => {
    const text = JSON.stringify(dags.map((d) => d.dag));
    for (const t of ['"test":"true"', '"test":"false"', '"test":"absent"', '"test":"failed"', '"test":"case"']) assert.ok(text.includes(t), t);
    for (const op of ['select', 'matchIndex', 'match', 'coerce', 'recover', 'hof', 'call', 'merge', 'project', 'field', 'when', 'coalesce', 'branch', 'interp', 'neg']) {
      assert.ok(text.includes(`"op":"${op}"`), op);
    }
  });

  test('parseDag accepts every compiled DAG after a JSON round trip, unchanged', () => {
    for (const { name, dag } of dags) {
      const json = clone(dag);
      const parsed = parseDag(json);
      assert.deepEqual(parsed, json, name);
    }
  });

  test('decodeWire(encodeWire(dag)) deep-equals the DAG', () => {
    for (const { name, dag } of dags) {
      const bytes = encodeWire(dag);
      assert.equal(bytes[0], WIRE_FORMAT_VERSION);
      const back = decodeWire(bytes);
      assert.deepEqual(back, clone(dag), name);
      assert.deepEqual(parseDag(back), clone(dag), name);
    }
  });

  test('the wire format rejects an unknown version or an empty payload', () => {
    const bytes = encodeWire(dags[0]!.dag);
    const wrong = Uint8Array.from(bytes);
    wrong[0] = WIRE_FORMAT_VERSION + 1;
    assert.throws(() => decodeWire(wrong), /unsupported wire format version/);
    assert.throws(() => decodeWire(new Uint8Array(0)), /unsupported wire format version/);
  });

  describe('parseDag rejects corrupted DAGs', () => {
    // a DAG with an input, a transform, a module and a gate to corrupt
    const base = (): Dag => {
      const r = compile('in c: Boolean\nin t: String\nu = "${t}!"\na = if (c) Uppercase(u) else t\nout a', registry());
      assert.ok(r.dag);
      return clone(r.dag);
    };
    // loosely typed on purpose: the point is to write what the types forbid
    type Mutable = { -readonly [K in keyof Dag]: any };
    const corrupt = (name: string, mutate: (d: Mutable) => void, pattern?: RegExp): void => {
      test(name, () => {
        const d = base() as Mutable;
        assert.doesNotThrow(() => parseDag(clone(d)), 'the base DAG is valid');
        mutate(d);
        assert.throws(() => parseDag(d), pattern ?? /./);
      });
    };
    const moduleIndex = (d: Mutable): number => (d.nodes as { kind: string }[]).findIndex((n) => n.kind === 'module');
    const transformIndex = (d: Mutable): number => (d.nodes as { kind: string }[]).findIndex((n) => n.kind === 'transform');

    corrupt('a module argument that refers forward', (d) => { d.nodes[moduleIndex(d)].args = [d.nodes.length - 1]; }, /does not precede it/);
    corrupt('a module argument that refers to itself', (d) => { const i = moduleIndex(d); d.nodes[i].args = [i]; }, /does not precede it/);
    corrupt('a transform dependency that refers forward', (d) => { d.nodes[transformIndex(d)].deps = [d.nodes.length - 1]; }, /does not precede it/);
    corrupt('a gate that refers forward', (d) => { const i = moduleIndex(d); d.nodes[i].gate = { node: i + 1, test: 'true' }; }, /does not precede it/);
    corrupt('an unknown node kind', (d) => { d.nodes[0].kind = 'lambda'; });
    corrupt('an unknown IR op', (d) => { d.nodes[transformIndex(d)].expr = { op: 'eval', code: 'process.exit()' }; });
    corrupt('an unknown gate test', (d) => { d.nodes[moduleIndex(d)].gate = { node: 0, test: 'maybe' }; });
    corrupt('an unknown type kind', (d) => { d.nodes[0].type = { k: 'Any' }; });
    corrupt('ids that are not positions', (d) => { d.nodes[1].id = 5; }, /has id/);
    corrupt('a negative node id', (d) => { d.outputs[0].node = -1; });
    corrupt('an output that refers to a missing node', (d) => { d.outputs[0].node = 99; }, /missing node/);
    corrupt('an input that refers to a missing node', (d) => { d.inputs[0].node = 99; }, /missing node/);
    corrupt('arguments and parameters that disagree', (d) => { d.nodes[moduleIndex(d)].params = []; }, /arguments for 0 parameters/);
    corrupt('layers with the wrong length', (d) => { d.layers = [0]; }, /one entry per node/);
    corrupt('variables with the wrong length', (d) => { d.variables = []; }, /one entry per node/);
    corrupt('an unsupported format version', (d) => { d.formatVersion = 2; });
    corrupt('a missing field', (d) => { delete d.nodes[moduleIndex(d)].module; });
    corrupt('an out-of-range option value', (d) => { d.nodes[moduleIndex(d)].options = { priority: 150 }; });
    corrupt('a negative retry', (d) => { d.nodes[moduleIndex(d)].options = { retry: -1 }; });
    corrupt('a fractional node id', (d) => { d.nodes[moduleIndex(d)].args = [0.5]; });
    corrupt('not an object at all', (d) => { d.nodes = 'nodes' as unknown as []; });
  });

  test('parseDag rejects non-DAG values', () => {
    for (const v of [null, undefined, 42, 'dag', [], {}]) assert.throws(() => parseDag(v));
  });
});
