import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimatedCodeFootprint, pipelineCodec } from '../../runtime/codegen/pipeline-codec.js';
import type { Dag, DagInput, DagOutput } from '../../runtime/compiler/dag.js';
import { Engine } from '../../runtime/engine/engine.js';
import { DONE, type Execution } from '../../runtime/engine/execution.js';
import type { Type } from '../../runtime/types/type.js';
import { encodeJson } from '../../runtime/values/json.js';
import type { Value } from '../../runtime/values/value.js';
import { exampleModules } from '../../examples/modules/index.js';
import { compilingCases } from '../helpers/conformance.js';
import { prng } from '../helpers/prng.js';
import { HOSTILE_NAMES, randomJson, randomName, randomType, randomValue } from './values-fuzz.js';

/**
 * The generated decoder and encoders of a pipeline (runtime/codegen/) against the generic path
 * (values/json.ts through Engine.decodeInputsGenerically and encodeJson, JSON.stringify): on every
 * conformance case and on a seeded fuzz of types and values, with names chosen to break out of
 * generated code.
 */

// the example pack, run on the coordinator (no file: no worker pool)
const engine = new Engine({ modules: exampleModules.map((module) => ({ module })) });

/** A DAG as far as the codec reads one: its inputs and outputs. */
function shapeOf(inputs: readonly DagInput[], outputs: readonly DagOutput[]): Dag {
  return { inputs, outputs } as unknown as Dag;
}

/** The generic decoder's verdict: its values, or its error message. */
function generic(dag: Dag, json: Record<string, unknown>): Map<number, Value> | string {
  try {
    return engine.decodeInputsGenerically(dag, json);
  } catch (e) {
    return (e as Error).message;
  }
}

/** Decodes through the engine (generated first, generic for what it does not take): must equal the generic path exactly. */
function checkDecode(dag: Dag, json: Record<string, unknown>, label: string): boolean {
  const expected = generic(dag, json);
  const fast = pipelineCodec(dag).decodeInputs(json);
  if (fast !== undefined) {
    assert.ok(expected instanceof Map, `${label}: the generated decoder accepted what the generic one refuses (${String(expected)})`);
    assert.deepStrictEqual(fast, expected, label);
  }
  let viaEngine: Map<number, Value> | string;
  try {
    viaEngine = engine.decodeInputs(dag, json);
  } catch (e) {
    viaEngine = (e as Error).message;
  }
  assert.deepStrictEqual(viaEngine, expected, `${label}: same values or the same error message`);
  return fast !== undefined;
}

function checkEncode(dag: Dag, values: Value[], state: Uint8Array, label: string): void {
  const pending: string[] = [];
  const encoded = pipelineCodec(dag).encodeOutputs(values, state, DONE, pending);
  const expected: Record<string, unknown> = {};
  const expectedPending: string[] = [];
  for (const out of dag.outputs) {
    if (state[out.node] === DONE) expected[out.name] = encodeJson(values[out.node], out.type);
    else expectedPending.push(out.name);
  }
  // an output named __proto__ is assigned as the result builder always did (it sets the prototype:
  // objects equal in content, not in identity), so for it the JSON text is what is compared
  if (!dag.outputs.some((o) => o.name === '__proto__')) assert.deepStrictEqual(encoded, expected, label);
  assert.deepStrictEqual(Object.keys(encoded), Object.keys(expected), `${label}: key order`);
  assert.deepStrictEqual(pending, expectedPending, label);
  assert.equal(pipelineCodec(dag).outputsJson(encoded), JSON.stringify(expected), `${label}: JSON text`);
}

describe('generated pipeline code: conformance cases', () => {
  for (const c of compilingCases()) {
    it(c.file, async () => {
      const compiled = engine.compile(c.source);
      assert.ok(compiled.ok && compiled.dag, c.file);
      const dag = compiled.dag;
      checkDecode(dag, c.inputs, c.file);
      let exec: Execution | undefined;
      const result = await engine.run(dag, c.inputs, { onStart: (e) => (exec = e) }).catch((e: unknown) => e as Error);
      if (result instanceof Error) return; // an input error: the decoder comparison above covered it
      checkEncode(dag, exec!.values, exec!.state, c.file);
      assert.equal(pipelineCodec(dag).outputsJson(result.outputs), JSON.stringify(result.outputs), c.file);
    });
  }
});

function randomShape(seed: number, hostile: boolean): { dag: Dag; types: Type[] } {
  const rng = prng(seed);
  const n = 1 + Math.floor(rng() * 3);
  const names = new Set<string>();
  const inputs: DagInput[] = [];
  const outputs: DagOutput[] = [];
  for (let i = 0; i < n; i++) {
    let name = randomName(rng, hostile);
    while (names.has(name)) name += '_';
    names.add(name);
    const type = randomType(rng, 3, hostile);
    inputs.push({ name, node: i, type } as DagInput);
    outputs.push({ name, node: i, type } as DagOutput);
  }
  return { dag: shapeOf(inputs, outputs), types: inputs.map((x) => x.type) };
}

describe('generated pipeline code: seeded fuzz', () => {
  for (const hostile of [false, true]) {
    it(`decoder equals the generic decoder (${hostile ? 'hostile' : 'plain'} names)`, () => {
      let accepted = 0;
      let total = 0;
      for (let seed = 1; seed <= 400; seed++) {
        const { dag, types } = randomShape(seed * 7919 + (hostile ? 1 : 0), hostile);
        const rng = prng(seed);
        for (let k = 0; k < 10; k++) {
          const json: Record<string, unknown> = {};
          dag.inputs.forEach((input, i) => {
            if (rng() < 0.9) Object.defineProperty(json, input.name, { value: randomJson(rng, types[i]!), enumerable: true, writable: true, configurable: true });
          });
          total++;
          if (checkDecode(dag, json, `seed ${seed}/${k}`)) accepted++;
        }
      }
      // the generated path must actually carry the common case
      assert.ok(accepted > total / 4, `generated decoder accepted ${accepted} of ${total}`);
    });

    it(`encoders equal encodeJson and JSON.stringify (${hostile ? 'hostile' : 'plain'} names)`, () => {
      for (let seed = 1; seed <= 400; seed++) {
        const { dag, types } = randomShape(seed * 104729 + (hostile ? 1 : 0), hostile);
        const rng = prng(seed);
        for (let k = 0; k < 10; k++) {
          const values = types.map((t) => randomValue(rng, t));
          const state = Uint8Array.from(types, () => (rng() < 0.85 ? DONE : 0));
          checkEncode(dag, values, state, `seed ${seed}/${k}`);
        }
      }
    });
  }

  it('the footprint estimated before generation bounds the generated code\'s', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const { dag } = randomShape(seed * 31 + 5, seed % 2 === 0);
      assert.ok(estimatedCodeFootprint(dag) >= pipelineCodec(dag).footprint, `seed ${seed}: ${estimatedCodeFootprint(dag)} < ${pipelineCodec(dag).footprint}`);
    }
  });

  it('hostile names never run as code', () => {
    const g = globalThis as { __pwned?: number };
    delete g.__pwned;
    for (const name of HOSTILE_NAMES) {
      for (const type of [{ k: 'Int' } as Type, { k: 'Record', fields: [[name, { k: 'String' }]] } as Type]) {
        const dag = shapeOf([{ name, node: 0, type } as DagInput], [{ name, node: 0, type } as DagOutput]);
        const json = Object.defineProperty({}, name, { value: type.k === 'Int' ? 5 : Object.defineProperty({}, name, { value: 's', enumerable: true }), enumerable: true });
        checkDecode(dag, json as Record<string, unknown>, JSON.stringify(name));
        checkEncode(dag, [engine.decodeInputsGenerically(dag, json as Record<string, unknown>).get(0)], Uint8Array.of(DONE), JSON.stringify(name));
      }
    }
    assert.equal(g.__pwned, undefined);
  });
});
