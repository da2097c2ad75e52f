import { h } from './dom.js';

/**
 * An input form generated from declared inputs: String → text box, Int → integer box, Float →
 * decimal box, Boolean → true/false selector, anything else (lists, maps, records) → JSON text
 * area. Types may be spelt the language's way (`Int`, `Optional<Int>`) or the API's
 * (`CInt`, `COptional(CInt)`). `@example` values pre-fill; values typed for an input survive
 * a refresh that keeps the input's name.
 */

export interface InputSpec {
  readonly name: string;
  readonly paramType: string;
  readonly required?: boolean;
  readonly defaultValue?: unknown;
}

type Kind = 'string' | 'int' | 'float' | 'boolean' | 'json';

function kindOf(type: string): { kind: Kind; optional: boolean } {
  let t = type.trim();
  let optional = false;
  const opt = /^(?:Optional<(.*)>|COptional\((.*)\))$/.exec(t);
  if (opt) {
    optional = true;
    t = (opt[1] ?? opt[2] ?? '').trim();
  }
  switch (t) {
    case 'String': case 'CString': return { kind: 'string', optional };
    case 'Int': case 'Integer': case 'Long': case 'CInt': return { kind: 'int', optional };
    case 'Float': case 'Double': case 'CFloat': return { kind: 'float', optional };
    case 'Boolean': case 'CBoolean': return { kind: 'boolean', optional };
    default: return { kind: 'json', optional };
  }
}

interface Field {
  readonly spec: InputSpec;
  readonly kind: Kind;
  readonly optional: boolean;
  readonly control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
}

export class InputsForm {
  readonly element: HTMLFormElement;
  private fields: Field[] = [];

  constructor(id: string, private readonly prefix: string) {
    this.element = h('form', { id, class: 'inputs-form', autocomplete: 'off', onsubmit: (e: Event) => e.preventDefault() });
  }

  get names(): string[] {
    return this.fields.map((f) => f.spec.name);
  }

  /** Rebuilds the form; a value already typed for a surviving name is kept. */
  setInputs(specs: readonly InputSpec[]): void {
    const previous = new Map(this.fields.map((f) => [f.spec.name, f.control.value]));
    const same = specs.length === this.fields.length && specs.every((s, i) => s.name === this.fields[i]!.spec.name && s.paramType === this.fields[i]!.spec.paramType);
    if (same) return;
    this.fields = specs.map((spec) => {
      const { kind, optional } = kindOf(spec.paramType);
      const id = `${this.prefix}-input-${spec.name}`;
      let control: Field['control'];
      const example = spec.defaultValue;
      const initial = previous.get(spec.name) ?? (example === null || example === undefined ? '' : typeof example === 'string' ? example : JSON.stringify(example, null, kind === 'json' ? 2 : 0));
      if (kind === 'boolean') {
        // an input that may be left out (Optional, or a run that may suspend) can be left empty
        const omissible = optional || spec.required === false;
        control = h('select', { id, name: spec.name }, ...(omissible ? [h('option', { value: '' }, optional ? '(absent)' : '(not given)')] : []), h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
        control.value = initial === '' && !omissible ? 'false' : initial;
      } else if (kind === 'json' || (kind === 'string' && initial.includes('\n'))) {
        // JSON, or a string whose example spans lines (a text box would drop the line breaks)
        control = h('textarea', { id, name: spec.name, rows: kind === 'json' ? 3 : 2, spellcheck: 'false', placeholder: spec.paramType });
        control.value = initial;
      } else {
        control = h('input', { id, name: spec.name, type: kind === 'string' ? 'text' : 'number', step: kind === 'int' ? '1' : kind === 'float' ? 'any' : null, placeholder: spec.paramType });
        control.value = initial;
      }
      return { spec, kind, optional, control };
    });
    this.element.replaceChildren(
      ...(this.fields.length === 0 ? [h('p', { class: 'muted' }, 'This script declares no inputs.')] : []),
      ...this.fields.map((f) =>
        h('div', { class: 'input-field' }, h('label', { for: f.control.id }, h('span', { class: 'input-name' }, f.spec.name), h('span', { class: 'input-type' }, f.spec.paramType)), f.control),
      ),
    );
  }

  /** The typed values; a value that cannot be read is reported by name. */
  values(): { ok: true; inputs: Record<string, unknown> } | { ok: false; error: string } {
    const inputs: Record<string, unknown> = {};
    for (const f of this.fields) {
      const raw = f.control.value;
      if (raw.trim() === '' && f.kind !== 'string') {
        if (f.optional) inputs[f.spec.name] = null;
        continue; // missing: the server says which input it needs
      }
      switch (f.kind) {
        case 'string':
          inputs[f.spec.name] = raw;
          break;
        case 'int': {
          const n = Number(raw);
          if (!Number.isInteger(n)) return { ok: false, error: `Input '${f.spec.name}': expected a whole number, got '${raw}'` };
          inputs[f.spec.name] = n;
          break;
        }
        case 'float': {
          const n = Number(raw);
          if (!Number.isFinite(n)) return { ok: false, error: `Input '${f.spec.name}': expected a number, got '${raw}'` };
          inputs[f.spec.name] = n;
          break;
        }
        case 'boolean':
          inputs[f.spec.name] = raw === 'true';
          break;
        case 'json':
          try {
            inputs[f.spec.name] = JSON.parse(raw);
          } catch (e) {
            return { ok: false, error: `Input '${f.spec.name}': invalid JSON (${e instanceof Error ? e.message : String(e)})` };
          }
      }
    }
    return { ok: true, inputs };
  }

  /** Raw field texts (for presets). */
  snapshot(): Record<string, string> {
    return Object.fromEntries(this.fields.map((f) => [f.spec.name, f.control.value]));
  }

  restore(values: Readonly<Record<string, string>>): void {
    for (const f of this.fields) if (Object.prototype.hasOwnProperty.call(values, f.spec.name)) f.control.value = values[f.spec.name]!;
  }
}

/** Named input presets per script, in local storage. */
export class Presets {
  constructor(private readonly scope: string) {}

  private key(): string {
    return `constellation.presets.${this.scope}`;
  }

  all(): Record<string, Record<string, string>> {
    try {
      const parsed = JSON.parse(localStorage.getItem(this.key()) ?? '{}');
      return parsed && typeof parsed === 'object' ? parsed : {};
    } catch {
      return {};
    }
  }

  save(name: string, values: Record<string, string>): void {
    localStorage.setItem(this.key(), JSON.stringify({ ...this.all(), [name]: values }));
  }

  remove(name: string): void {
    const all = this.all();
    delete all[name];
    localStorage.setItem(this.key(), JSON.stringify(all));
  }
}
