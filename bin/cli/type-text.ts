/**
 * The API reports types in the reference's runtime notation (`CProduct(Map(name -> CString))`);
 * people read constellation-lang (`{ name: String }`), as the compiler's messages print it. This
 * turns the one into the other for the CLI's human output (`--json` keeps the wire text). Text
 * it does not recognise is shown as it came.
 */

const SCALARS: Record<string, string> = { CString: 'String', CInt: 'Int', CFloat: 'Float', CBoolean: 'Boolean' };
const WRAPPERS: Record<string, string> = { CList: 'List', CSeq: 'Seq', COptional: 'Optional' };

class Reader {
  private at = 0;
  constructor(private readonly text: string) {}

  type(): string {
    const name = this.word();
    const scalar = SCALARS[name];
    if (scalar) return scalar;
    this.expect('(');
    let out: string;
    const wrapper = WRAPPERS[name];
    if (wrapper) out = `${wrapper}<${this.type()}>`;
    else if (name === 'CMap') {
      const key = this.type();
      this.expect(',');
      out = `Map<${key}, ${this.type()}>`;
    } else if (name === 'CProduct' || name === 'CUnion') {
      const entries = this.entries();
      out = name === 'CProduct' ? (entries.length === 0 ? '{ }' : `{ ${entries.map(([k, t]) => `${k}: ${t}`).join(', ')} }`) : entries.map(([, t]) => t).join(' | ');
    } else throw new Error(`unknown type ${name}`);
    this.expect(')');
    return out;
  }

  /** `Map(a -> T, b -> U)` */
  private entries(): [string, string][] {
    if (this.word() !== 'Map') throw new Error('expected Map');
    this.expect('(');
    const out: [string, string][] = [];
    this.spaces();
    if (this.peek() === ')') {
      this.at++;
      return out;
    }
    for (;;) {
      const key = this.until('->').trim();
      this.expect('->');
      out.push([key, this.type()]);
      this.spaces();
      if (this.peek() === ',') {
        this.at++;
        continue;
      }
      this.expect(')');
      return out;
    }
  }

  done(): boolean {
    this.spaces();
    return this.at === this.text.length;
  }

  private word(): string {
    this.spaces();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.at));
    if (!m) throw new Error('expected a name');
    this.at += m[0].length;
    return m[0];
  }

  private until(token: string): string {
    const end = this.text.indexOf(token, this.at);
    if (end < 0) throw new Error(`expected ${token}`);
    const s = this.text.slice(this.at, end);
    this.at = end;
    return s;
  }

  private expect(token: string): void {
    this.spaces();
    if (!this.text.startsWith(token, this.at)) throw new Error(`expected ${token}`);
    this.at += token.length;
  }

  private peek(): string {
    return this.text[this.at] ?? '';
  }

  private spaces(): void {
    while (this.text[this.at] === ' ') this.at++;
  }
}

/** `CProduct(Map(name -> CString))` → `{ name: String }`; anything else unchanged. */
export function readableType(wire: string): string {
  try {
    const reader = new Reader(wire);
    const out = reader.type();
    return reader.done() ? out : wire;
  } catch {
    return wire;
  }
}
