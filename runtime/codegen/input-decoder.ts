import type { DagInput } from '../compiler/dag.js';
import type { Type } from '../types/type.js';
import { decodeJson } from '../values/json.js';
import type { Value } from '../values/value.js';
import { CodeBuilder, jsString, type Generated } from './emit.js';

/**
 * A pipeline's input decoder, generated from its declared inputs: straight-line code for the
 * exact types (no walk over type descriptions, no path strings, no error list), producing the
 * values the generic decoder (values/json.ts `decodeJson`, with Engine.decodeInputs' rules for
 * absent and null inputs) would produce.
 *
 * It only accepts: for anything it does not take — a wrong type, a non-finite number, a value
 * the generic decoder would convert (`"NaN"` for a Float) — it answers `undefined`, and the
 * caller runs the generic decoder, whose errors (codes, messages, paths) are therefore exactly
 * the ones it always gave. Maps, unions and nested optionals are decoded by the generic decoder
 * inside the generated code.
 */

/** Values of the inputs by node id (an input left out is missing), or `undefined`: ask the generic decoder. */
export type InputDecoder = (json: Readonly<Record<string, unknown>>) => Map<number, Value> | undefined;

const REJECT = 'return undefined;';

export function generateInputDecoder(inputs: readonly DagInput[]): Generated<InputDecoder> {
  const b = new CodeBuilder();
  const hasOwn = b.constant(Object.prototype.hasOwnProperty);
  b.line('const out = new Map();');
  for (const input of inputs) {
    const raw = b.local();
    const name = jsString(input.name);
    b.line(`const ${raw} = ${hasOwn}.call(json, ${name}) ? json[${name}] : undefined;`);
    if (input.type.k === 'Optional') {
      // absent and null both mean absent (docs/decisions.md #10)
      b.line(`if (${raw} === undefined || ${raw} === null) out.set(${input.node}, null); else {`);
    } else {
      // a required input left out is missing (the run suspends); null is an error
      b.line(`if (${raw} === null) ${REJECT}`);
      b.line(`if (${raw} !== undefined) {`);
    }
    const decoded = emitDecode(b, input.type, raw);
    b.line(`out.set(${input.node}, ${decoded});`);
    b.line('}');
  }
  b.line('return out;');
  return b.compile<InputDecoder>(['json']);
}

/**
 * Emits statements that check `src` against `type` (returning undefined from the decoder when it
 * does not fit) and returns the name of a local holding the decoded value.
 */
function emitDecode(b: CodeBuilder, type: Type, src: string): string {
  switch (type.k) {
    case 'String':
      b.line(`if (typeof ${src} !== 'string') ${REJECT}`);
      return src;
    case 'Boolean':
      b.line(`if (typeof ${src} !== 'boolean') ${REJECT}`);
      return src;
    case 'Int': {
      b.line(`if (typeof ${src} !== 'number' || !Number.isSafeInteger(${src})) ${REJECT}`);
      const v = b.local();
      b.line(`const ${v} = ${src} === 0 ? 0 : ${src};`);
      return v;
    }
    case 'Float':
      // non-finite numbers are the generic decoder's business
      b.line(`if (typeof ${src} !== 'number' || !Number.isFinite(${src})) ${REJECT}`);
      return src;
    case 'List':
    case 'Seq':
      return b.arrayCopy(src, REJECT, (element) => emitDecode(b, type.of, element));
    case 'Record': {
      const hasOwn = b.constant(Object.prototype.hasOwnProperty);
      b.line(`if (typeof ${src} !== 'object' || ${src} === null || Array.isArray(${src})) ${REJECT}`);
      const fields: string[] = [];
      for (const [name, fieldType] of type.fields) {
        const key = jsString(name);
        const field = b.local();
        const value = b.local();
        b.line(`let ${value};`);
        b.line(`if (${hasOwn}.call(${src}, ${key})) {`);
        b.line(`const ${field} = ${src}[${key}];`);
        b.line(`${value} = ${emitDecode(b, fieldType, field)};`);
        // an absent key of an Optional field means absent; of any other field it is an error
        b.line(fieldType.k === 'Optional' ? `} else ${value} = null;` : `} else ${REJECT}`);
        // a computed key: `"__proto__": v` in a literal would set the prototype instead
        fields.push(name === '__proto__' ? `[${key}]: ${value}` : `${key}: ${value}`);
      }
      const out = b.local();
      b.line(`const ${out} = { ${fields.join(', ')} };`);
      return out;
    }
    case 'Optional': {
      // a present value of a nested optional is boxed (values/value.ts `some`): left to the generic decoder
      if (type.of.k === 'Optional') return emitGeneric(b, type, src);
      const out = b.local();
      b.line(`let ${out} = null;`);
      b.line(`if (${src} !== null && ${src} !== undefined) {`);
      b.line(`${out} = ${emitDecode(b, type.of, src)};`);
      b.line('}');
      return out;
    }
    default:
      // maps, unions, Nothing …: the generic decoder, whose verdict decides
      return emitGeneric(b, type, src);
  }
}

function emitGeneric(b: CodeBuilder, type: Type, src: string): string {
  const errors = b.local();
  const out = b.local();
  b.line(`const ${errors} = [];`);
  b.line(`const ${out} = ${b.constant(decodeJson)}(${src}, ${b.constant(type)}, '', ${errors});`);
  b.line(`if (${errors}.length !== 0) ${REJECT}`);
  return out;
}
