import type { DagOutput } from '../compiler/dag.js';
import type { Type } from '../types/type.js';
import { encodeJson } from '../values/json.js';
import { jsonString } from '../values/json-text.js';
import { javaDouble } from '../values/text.js';
import { Some, type Value } from '../values/value.js';
import { CodeBuilder, jsString, type Generated } from './emit.js';

/**
 * A pipeline's output encoders, generated from its declared outputs:
 *
 * - `encodeOutputs(values, state, done, pending)`: the `outputs` object of a result, as the
 *   generic `encodeJson` makes it (records carry exactly their static fields, non-finite Floats
 *   become their Java text), with the names of outputs that have no value pushed to `pending`;
 * - `outputsJson(outputs)`: that object's JSON text, equal to `JSON.stringify(outputs)`, written
 *   as straight-line concatenation for the pipeline's shape (the way fast-json-stringify does);
 *   anything unexpected (an output without a value, a value of an odd type) takes
 *   `JSON.stringify`, so the text is always the same as before.
 *
 * Maps and unions are encoded by the generic encoder inside the generated code.
 */

export type OutputsEncoder = (values: readonly Value[], state: Uint8Array, done: number, pending: string[]) => Record<string, unknown>;
export type OutputsStringifier = (outputs: Readonly<Record<string, unknown>>) => string;

export function generateOutputsEncoder(outputs: readonly DagOutput[]): Generated<OutputsEncoder> {
  const b = new CodeBuilder();
  b.line('const out = {};');
  for (const output of outputs) {
    const name = jsString(output.name);
    const value = b.local();
    b.line(`if (state[${output.node}] === done) {`);
    b.line(`const ${value} = values[${output.node}];`);
    // plain assignment, as the generic result builder does
    b.line(`out[${name}] = ${emitEncode(b, output.type, value)};`);
    b.line(`} else pending.push(${name});`);
  }
  b.line('return out;');
  return b.compile<OutputsEncoder>(['values', 'state', 'done', 'pending']);
}

/** Emits statements encoding `src` (a local) as `encodeJson(src, type)` would; returns the result's expression. */
function emitEncode(b: CodeBuilder, type: Type, src: string): string {
  switch (type.k) {
    case 'String': case 'Int': case 'Boolean':
      return src;
    case 'Float':
      return `(Number.isFinite(${src}) ? ${src} : ${b.constant(javaDouble)}(${src}))`;
    case 'List': case 'Seq': {
      const inner = type.of;
      if (inner.k === 'String' || inner.k === 'Int' || inner.k === 'Boolean') return src;
      const mark = b.mark();
      const element = emitEncode(b, inner, 'e');
      const helper = b.helper(['e'], `${b.cut(mark)}\nreturn ${element};`);
      return `${src}.map((e) => ${helper}(e))`;
    }
    case 'Record': {
      const fields = type.fields.map(([name, fieldType]) => {
        const key = jsString(name);
        const value = b.local();
        b.line(`const ${value} = ${src}[${key}];`);
        const encoded = emitEncode(b, fieldType, value);
        // a computed key: `"__proto__": v` in a literal would set the prototype instead
        return name === '__proto__' ? `[${key}]: ${encoded}` : `${key}: ${encoded}`;
      });
      return `{ ${fields.join(', ')} }`;
    }
    case 'Optional': {
      const out = b.local();
      const inner = b.local();
      b.line(`let ${out} = null;`);
      b.line(`if (${src} !== null && ${src} !== undefined) {`);
      b.line(`const ${inner} = ${src} instanceof ${b.constant(Some)} ? ${src}.value : ${src};`);
      b.line(`${out} = ${emitEncode(b, type.of, inner)};`);
      b.line('}');
      return out;
    }
    case 'Map': case 'Union':
      return `${b.constant(encodeJson)}(${src}, ${b.constant(type)})`;
    default:
      return `(${src} ?? null)`;
  }
}

export function generateOutputsStringifier(outputs: readonly DagOutput[]): Generated<OutputsStringifier> {
  const b = new CodeBuilder();
  const hasOwn = b.constant(Object.prototype.hasOwnProperty);
  const stringify = b.constant(JSON.stringify);
  const generic = `return ${stringify}(o);`;
  // JSON.stringify writes array-index keys first, in numeric order, then the others in order of creation
  const ordered = [...outputs].sort((x, y) => keyRank(x.name) - keyRank(y.name));
  const parts: string[] = [];
  for (const output of ordered) {
    const value = b.local();
    const key = jsString(output.name);
    // an output without a value is absent from the object: then JSON.stringify decides. A name that
    // Object.prototype also has (toString …) is read only as an own property.
    b.line(output.name in Object.prototype ? `const ${value} = ${hasOwn}.call(o, ${key}) ? o[${key}] : undefined;` : `const ${value} = o[${key}];`);
    b.line(`if (${value} === undefined) ${generic}`);
    parts.push(`${jsString(`${parts.length === 0 ? '{' : ','}${JSON.stringify(output.name)}:`)} + ${emitText(b, output.type, value)}`);
  }
  b.line(parts.length === 0 ? `return '{}';` : `return ${parts.join(' + ')} + '}';`);
  return b.compile<OutputsStringifier>(['o']);
}

/** Array-index names sort first (by value), every other name keeps its place. */
function keyRank(name: string): number {
  const n = Number(name);
  return String(n) === name && Number.isInteger(n) && n >= 0 && n < 2 ** 32 - 1 ? n - 2 ** 32 : 0;
}

/**
 * The JSON text of `src` (an encoded value of `type`, never undefined) as JSON.stringify writes
 * it: strings, numbers, booleans and records of them inline; lists and anything unexpected
 * through JSON.stringify itself.
 */
function emitText(b: CodeBuilder, type: Type, src: string): string {
  const stringify = b.constant(JSON.stringify);
  switch (type.k) {
    case 'String':
      return `(typeof ${src} === 'string' ? ${b.constant(jsonString)}(${src}) : ${stringify}(${src}))`;
    case 'Int': case 'Float':
      // a finite number's JSON text is its JavaScript text; a non-finite Float is encoded as a string
      return `(typeof ${src} === 'number' && Number.isFinite(${src}) ? '' + ${src} : ${stringify}(${src}))`;
    case 'Boolean':
      return `(${src} === true ? 'true' : ${src} === false ? 'false' : ${stringify}(${src}))`;
    case 'Optional':
      return `(${src} === null ? 'null' : ${emitText(b, type.of, src)})`;
    case 'Record': {
      if (type.fields.length === 0) return `${stringify}(${src})`;
      const ordered = [...type.fields].sort((x, y) => keyRank(x[0]) - keyRank(y[0]));
      // the encoded record has exactly its static fields as own properties; if one is undefined
      // (it would be left out) or the value is not such an object, JSON.stringify decides
      const locals = ordered.map(() => b.local());
      const text = b.local();
      const hasOwn = b.constant(Object.prototype.hasOwnProperty);
      b.line(`let ${text};`);
      b.line(`if (typeof ${src} !== 'object' || ${src} === null) ${text} = ${stringify}(${src}); else {`);
      ordered.forEach(([name], i) => {
        const key = jsString(name);
        b.line(name in Object.prototype ? `const ${locals[i]} = ${hasOwn}.call(${src}, ${key}) ? ${src}[${key}] : undefined;` : `const ${locals[i]} = ${src}[${key}];`);
      });
      b.line(`if (${locals.map((l) => `${l} === undefined`).join(' || ')}) ${text} = ${stringify}(${src}); else {`);
      const parts = ordered.map(([name, fieldType], i) => `${jsString(`${i === 0 ? '{' : ','}${JSON.stringify(name)}:`)} + ${emitText(b, fieldType, locals[i]!)}`);
      b.line(`${text} = ${parts.join(' + ')} + '}';`);
      b.line('}');
      b.line('}');
      return text;
    }
    default:
      return `${stringify}(${src})`;
  }
}
