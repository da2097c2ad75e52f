import { usageError } from './exit.js';

/**
 * `--input key=value`: the value is JSON if it parses, else
 * true/false/null (any case), else a number, else the text itself. Command-line inputs override
 * those of the `--inputs` file.
 */

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseInputValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // not JSON: fall through to the looser forms
  }
  const lower = text.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (NUMBER.test(text.trim())) {
    const n = Number(text.trim());
    if (Number.isFinite(n)) return n;
  }
  return text;
}

/** Splits `key=value` at the first `=`; anything else is a usage error. */
export function parseInputAssignment(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq < 0) throw usageError(`invalid --input '${text}': expected key=value`);
  const key = text.slice(0, eq).trim();
  if (key.length === 0) throw usageError(`invalid --input '${text}': the key is empty`);
  return [key, parseInputValue(text.slice(eq + 1))];
}

/** File inputs, then each `--input` (later ones win). */
export function mergeInputs(fileInputs: Readonly<Record<string, unknown>>, assignments: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fileInputs };
  for (const a of assignments) {
    const [key, value] = parseInputAssignment(a);
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
