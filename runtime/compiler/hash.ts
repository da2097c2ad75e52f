import { createHash } from 'node:crypto';
import type { Dag } from './dag.js';

/**
 * Hashes. The structural hash is SHA-256 over a canonical JSON text of the DAG
 * (keys sorted; the source map and anything else positional is not part of the DAG), so
 * formatting and comments never change it, and it is the same in every process and on every
 * machine. The recipe is versioned with the DAG format: changing it is a format migration.
 *
 * Unlike the reference, the pipeline's name is not hashed: an image is content-addressed, and a
 * name is an alias pointing at it.
 */

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * JSON with object keys sorted, for hashing. Arrays keep their order; object properties whose
 * value is `undefined` are left out; non-finite numbers become the strings "NaN", "Infinity",
 * "-Infinity"; `undefined` elsewhere is `null`. The text is byte-for-byte that of the
 * straightforward recursive formulation (`JSON.stringify` per leaf, `map(…).join(',')` per array,
 * which leaves holes and function/symbol elements empty) — it is the hash recipe and must not
 * change.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return leafJson(value) as string; // undefined for a function or symbol, as JSON.stringify
  // The text is produced in chunks of ~16 K characters, each a rope of small concatenations.
  // Reading a character makes V8 flatten a chunk in place, so its rope cells die young instead
  // of staying alive (and being copied by every scavenge) until the final join: without that,
  // a 2000-node DAG took twice as long. Semantically a no-op.
  const chunks: string[] = [];
  const writer = new CanonicalWriter((chunk) => {
    chunk.charCodeAt(0);
    chunks.push(chunk);
  });
  writer.write(value, false);
  if (chunks.length === 0) return writer.text;
  chunks.push(writer.text);
  return chunks.join('');
}

/**
 * SHA-256 of `canonicalJson(dag)`. The text is fed to the hash in chunks as it is produced (at
 * value boundaries, so never inside a string literal or a surrogate pair), which gives the same
 * digest without holding the whole text of a large DAG in memory: on a 2000-node program that
 * long-lived text was a large part of the garbage collector's work.
 */
export function structuralHash(dag: Dag): string {
  return measuredStructuralHash(dag).hash;
}

/** The structural hash and the length of the canonical text it hashed (a measure of the DAG's size, for memory budgets). */
export function measuredStructuralHash(dag: Dag): { readonly hash: string; readonly chars: number } {
  const hash = createHash('sha256');
  let chars = 0;
  const writer = new CanonicalWriter((chunk) => {
    chars += chunk.length;
    hash.update(chunk);
  });
  writer.write(dag, false);
  chars += writer.text.length;
  hash.update(writer.text);
  return { hash: hash.digest('hex'), chars };
}

export function syntacticHash(source: string): string {
  return sha256Hex(source);
}

// ---------------------------------------------------------------- canonical JSON writer
//
// On every compile's path (the structural hash), so written for speed: one growing string,
// insertion sort for the usual handful of keys, quoted keys memoised, and plain strings quoted
// without JSON.stringify when nothing needs escaping.

const CHUNK = 16_384;

class CanonicalWriter {
  text = '';

  constructor(private readonly flush: (chunk: string) => void) {}

  /** `inArray`: a function or symbol element is left empty in an array, written `undefined` in an object. */
  write(value: unknown, inArray: boolean): void {
    if (value === null || typeof value !== 'object') {
      const leaf = leafJson(value);
      if (leaf !== undefined) this.text += leaf;
      else if (!inArray) this.text += 'undefined';
      return;
    }
    if (Array.isArray(value)) {
      this.text += '[';
      for (let i = 0; i < value.length; i++) {
        if (i > 0) this.text += ',';
        const item: unknown = value[i];
        if (item === undefined && !(i in value)) continue; // a hole: empty, as Array.prototype.join leaves it
        this.write(item, true);
      }
      this.text += ']';
    } else {
      const record = value as Record<string, unknown>;
      const keys = sortStrings(Object.keys(record));
      let first = true;
      this.text += '{';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const v = record[k];
        if (v === undefined) continue;
        this.text += (first ? '' : ',') + quoteKey(k) + ':';
        first = false;
        this.write(v, false);
      }
      this.text += '}';
    }
    if (this.text.length >= CHUNK) {
      this.flush(this.text);
      this.text = '';
    }
  }
}

/** A non-object value's JSON (`undefined` → null, non-finite numbers as strings). */
function leafJson(value: unknown): string | undefined {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** `JSON.stringify(s)` for a string; skips the call when no character needs escaping. */
function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // control characters, quote, backslash, and (lone) surrogates are escaped by JSON.stringify
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

const quotedKeys = new Map<string, string>();

function quoteKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = quote(k);
    if (quotedKeys.size >= 4096) quotedKeys.clear(); // keys are mostly the DAG format's own; stay bounded anyway
    quotedKeys.set(k, q);
  }
  return q;
}

/** In place, in the default sort order (UTF-16 code units); insertion sort for short arrays. */
function sortStrings(keys: string[]): string[] {
  const n = keys.length;
  if (n > 16) return keys.sort();
  for (let i = 1; i < n; i++) {
    const k = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}
