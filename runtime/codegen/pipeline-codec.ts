import type { Dag } from '../compiler/dag.js';
import { generateInputDecoder, type InputDecoder } from './input-decoder.js';
import { generateOutputsEncoder, generateOutputsStringifier, type OutputsEncoder, type OutputsStringifier } from './output-encoder.js';

/**
 * The generated code of one pipeline image: its input decoder and output encoders
 * (input-decoder.ts, output-encoder.ts). Built on the first run of the DAG and kept in a
 * WeakMap keyed by the DAG object, so it lives exactly as long as its image does (the store's
 * copy, the compile cache's, a running execution's) and is collected with it.
 *
 * `footprint` is the heap it holds, for the bounds on stored images: an image's cost is its
 * DAG and source plus `generatedCodeFootprint(dag)`.
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
