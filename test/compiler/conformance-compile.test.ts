import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile } from '../../runtime/compiler/compile.js';
import { printType } from '../../runtime/types/type.js';
import { compilingCases, failingCases, loadConformanceCases } from '../helpers/conformance.js';
import { assertDiagnosticsWellFormed, formatDiagnostics, registry } from '../helpers/diagnostics.js';

/**
 * Every conformance case (test/conformance) through the compiler alone: compile-error cases
 * yield their code with the expected message text; every other case compiles to a DAG whose
 * inputs and outputs are the ones the case provides and expects.
 */

describe('conformance corpus: compile', () => {
  test('the corpus is present and has both kinds of case', () => {
    const all = loadConformanceCases();
    assert.ok(all.length >= 58, `found ${all.length} cases`);
    assert.ok(failingCases().length >= 20);
    assert.ok(compilingCases().length >= 37);
  });

  describe('compile-error cases report their code and message', () => {
    for (const c of failingCases()) {
      test(`${c.file}: ${c.name}`, () => {
        const expected = c.expect.compileError!;
        const r = compile(c.source, registry());
        const context = `${c.source}\n${formatDiagnostics(r.diagnostics)}`;
        assert.equal(r.ok, false, context);
        assert.equal(r.dag, null);
        assert.equal(r.sourceMap, null);
        assert.equal(r.hashes.structural, null);
        const hit = r.diagnostics.find((d) => d.code === expected.code && d.message.includes(expected.messageContains));
        assert.ok(hit, `expected ${expected.code} containing '${expected.messageContains}' in\n${context}`);
        assert.equal(hit.severity, 'error');
        // the error points into the program, not at nothing
        assert.ok(hit.span.end > hit.span.start || c.source.length === 0, `empty span for ${hit.code}`);
        assertDiagnosticsWellFormed(c.source, r.diagnostics);
      });
    }
  });

  describe('every other case compiles', () => {
    for (const c of compilingCases()) {
      test(`${c.file}: ${c.name}`, () => {
        const r = compile(c.source, registry());
        assert.equal(r.ok, true, `${c.source}\n${formatDiagnostics(r.diagnostics)}`);
        assert.ok(r.dag);
        assert.ok(r.sourceMap);
        assert.equal(r.diagnostics.filter((d) => d.severity === 'error').length, 0);
        assertDiagnosticsWellFormed(c.source, r.diagnostics);
        // the DAG declares exactly the inputs the case supplies and the outputs it expects
        assert.deepEqual(r.dag.inputs.map((i) => i.name).sort(), Object.keys(c.inputs).sort(), 'inputs');
        assert.deepEqual(r.dag.outputs.map((o) => o.name).sort(), Object.keys(c.expect.outputs!).sort(), 'outputs');
        // structural sanity: ids are positions, references point backwards, every type prints
        r.dag.nodes.forEach((n, i) => {
          assert.equal(n.id, i);
          const deps = n.kind === 'module' ? n.args : n.kind === 'transform' ? n.deps : [];
          for (const d of deps) assert.ok(d < i, `node ${i} reads node ${d}`);
          assert.doesNotMatch(printType(n.type), /<error>/);
        });
        for (const o of r.dag.outputs) assert.ok(o.node < r.dag.nodes.length);
        assert.equal(r.dag.layers.length, r.dag.nodes.length);
        assert.match(r.hashes.structural ?? '', /^[0-9a-f]{64}$/);
        assert.match(r.hashes.syntactic, /^[0-9a-f]{64}$/);
      });
    }
  });
});
