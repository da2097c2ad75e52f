import type { Dag } from '../compiler/dag.js';
import type { Type } from '../types/type.js';
import { generatedFootprint } from './emit.js';
import { generateInputDecoder, type InputDecoder } from './input-decoder.js';
import { generateOutputsEncoder, generateOutputsStringifier, type OutputsEncoder, type OutputsStringifier } from './output-encoder.js';

/**
 * The generated code of one pipeline image: its input decoder and output encoders
 * (input-decoder.ts, output-encoder.ts). Built on the first run of the DAG and kept in a
 * WeakMap keyed by the DAG object, so it lives exactly as long as its image does (the store's
 * copy, the compile cache's, a running execution's) and is collected with it.
 *
 * `footprint` is the heap it holds, for the bounds on stored images: an image's cost is its
 * DAG and source plus `generatedCodeFootprint(dag)` once it has run, or at most
 * `estimatedCodeFootprint(dag)` before.
 */
export interface PipelineCodec {
  readonly decodeInputs: InputDecoder;
  readonly encodeOutputs: OutputsEncoder;
  readonly outputsJson: OutputsStringifier;
  /** Estimated heap bytes of the generated functions. */
  readonly footprint: number;
}

const codecs = new WeakMap<Dag, PipelineCodec>();

export function pipelineCodec(dag: Dag): PipelineCodec {
  let codec = codecs.get(dag);
  if (codec === undefined) {
    const decoder = generateInputDecoder(dag.inputs);
    const encoder = generateOutputsEncoder(dag.outputs);
    const stringifier = generateOutputsStringifier(dag.outputs);
    codec = {
      decodeInputs: decoder.fn,
      encodeOutputs: encoder.fn,
      outputsJson: stringifier.fn,
      footprint: decoder.footprint + encoder.footprint + stringifier.footprint,
    };
    codecs.set(dag, codec);
  }
  return codec;
}

/** Heap held by the DAG's generated code: 0 until it has run once. */
export function generatedCodeFootprint(dag: Dag): number {
  return codecs.get(dag)?.footprint ?? 0;
}

/**
 * An upper bound of `pipelineCodec(dag).footprint` known before the code is generated (when an
 * image is stored): generated source grows with the type nodes of the inputs and outputs (at
 * most ~330 characters each, with their names written up to four times), at the same bytes per
 * character as `generatedFootprint`.
 */
export function estimatedCodeFootprint(dag: Dag): number {
  let chars = 3 * 400;
  for (const port of [...dag.inputs, ...dag.outputs]) chars += 200 + 4 * port.name.length + typeChars(port.type);
  return generatedFootprint(chars) + 2 * 2048;
}

function typeChars(type: Type): number {
  switch (type.k) {
    case 'List': case 'Seq': case 'Optional': return 330 + typeChars(type.of);
    case 'Map': return 330 + typeChars(type.key) + typeChars(type.value);
    case 'Record': return type.fields.reduce((n, [name, t]) => n + 330 + 4 * name.length + typeChars(t), 330);
    case 'Union': return type.members.reduce((n, t) => n + typeChars(t), 330);
    default: return 330;
  }
}
