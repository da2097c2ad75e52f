import { createHash } from 'node:crypto';
import type { Dag } from './dag.js';

/**
 * Hashes (runtime.md §2.8). The structural hash is SHA-256 over a canonical JSON text of the DAG
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

/** JSON with object keys sorted, for hashing. Arrays keep their order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(String(value));
    return value === undefined ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson((value as Record<string, unknown>)[k])).join(',') + '}';
}

export function structuralHash(dag: Dag): string {
  return sha256Hex(canonicalJson(dag));
}

export function syntacticHash(source: string): string {
  return sha256Hex(source);
}
