/**
 * The one way this project writes JavaScript at run time (specialised decoders, encoders and
 * checks, compiled once per pipeline image or module registration, the way ajv and
 * fast-json-stringify compile schemas).
 *
 * Safety against hostile names (input names, record fields, schema keys — a provider module's
 * schema comes from another process): no name is ever written into generated code as an
 * identifier. Names appear only as string literals made by `jsString` (JSON escaping, which
 * cannot end a literal early), and every value the code needs (functions, types, sets) is
 * handed in as a constant, read into a generated local. The only identifiers in generated code
 * are the fixed parameter names and locals made by `local()`.
 */

/** A JavaScript string literal for any text: it ends where it should and never runs as code. */
export function jsString(text: string): string {
  // JSON escapes quotes, backslashes, control characters and lone surrogates; U+2028/2029 are
  // legal in string literals since ES2019 but escaped anyway (older parsers read them as line ends)
  return JSON.stringify(text).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A compiled function and what it holds in memory. */
export interface Generated<F> {
  readonly fn: F;
  /** Characters of generated source (V8 keeps the source with the function). */
  readonly sourceLength: number;
  /** Estimated heap bytes: source, bytecode, feedback and optimised code. */
  readonly footprint: number;
}

/**
 * Heap held by a generated function of `sourceLength` characters once it is hot, estimated on
 * the safe side: measured on pipeline codecs run until optimised at ~10.4 bytes a source
 * character beyond a fixed ~2 KiB (old space: source, bytecode, feedback, closures; code space:
 * optimised code, ~40 % of the total).
 */
export function generatedFootprint(sourceLength: number): number {
  return 12 * sourceLength + 2048;
}

export class CodeBuilder {
  private readonly body: string[] = [];
  private readonly prologue: string[] = [];
  private readonly constants: unknown[] = [];
  private readonly constantNames = new Map<unknown, string>();
  private locals = 0;

  /** A fresh local name: the only identifiers generated code declares besides its parameters. */
  local(): string {
    return `v${this.locals++}`;
  }

  /** An expression reading `value` (a function, a type, a set …) handed to the code as a constant. */
  constant(value: unknown): string {
    let name = this.constantNames.get(value);
    if (name === undefined) {
      name = `k${this.constants.length}`;
      this.prologue.push(`const ${name} = K[${this.constants.length}];`);
      this.constants.push(value);
      this.constantNames.set(value, name);
    }
    return name;
  }

  /** A helper function declared once beside the generated function (the body of a `map` callback, …). */
  helper(params: readonly string[], body: string): string {
    const name = `h${this.locals++}`;
    this.prologue.push(`function ${name}(${params.join(', ')}) {\n${body}\n}`);
    return name;
  }

  line(text: string): void {
    this.body.push(text);
  }

  /**
   * Emits a checked copy of the array `src` (`reject` runs when it is not an array), each element
   * through `element` (which emits its own checks and returns the element's expression); returns
   * the copy's local.
   */
  arrayCopy(src: string, reject: string, element: (item: string) => string): string {
    const out = this.local();
    const i = this.local();
    const item = this.local();
    this.line(`if (!Array.isArray(${src})) ${reject}`);
    this.line(`const ${out} = new Array(${src}.length);`);
    this.line(`for (let ${i} = 0; ${i} < ${src}.length; ${i}++) {`);
    this.line(`const ${item} = ${src}[${i}];`);
    this.line(`${out}[${i}] = ${element(item)};`);
    this.line('}');
    return out;
  }

  /** Takes the lines written since `mark()` out of the body (to wrap them in a helper). */
  mark(): number {
    return this.body.length;
  }

  cut(mark: number): string {
    return this.body.splice(mark).join('\n');
  }

  /** Compiles the body as `function (params) { … }` over the constants. */
  compile<F>(params: readonly string[]): Generated<F> {
    const source = `"use strict";\n${this.prologue.join('\n')}\nreturn function generated(${params.join(', ')}) {\n${this.body.join('\n')}\n};`;
    // the only dynamic code in the project: see the header for why hostile names cannot reach it
    const fn = new Function('K', source)(this.constants) as F;
    return { fn, sourceLength: source.length, footprint: generatedFootprint(source.length) };
  }
}
