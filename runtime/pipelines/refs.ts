import { isHash, type PipelineStore } from '../stores/pipeline-store.js';

/**
 * Pipeline references: `sha256:<hash>` is a structural hash; any other ref is an alias first,
 * and, when no alias has that name and it is exactly 64 hex characters, a bare structural hash
 * (docs/decisions.md #13). At most 256 characters; blank refs are invalid.
 *
 * `not-local` is the answer of a store whose view may lag its authority (a network store): the
 * pipeline may exist elsewhere; the catalogue then asks the authority. A complete view never
 * gives it, so the request path of a single instance has no extra branch taken. A hash resolves
 * when the store knows the image (its summary), whether or not the image is in memory.
 */

export type RefResolution =
  | { readonly ok: true; readonly hash: string; readonly byName: string | null }
  | { readonly ok: false; readonly problem: 'invalid' | 'missing' | 'not-local'; readonly message: string };

export function resolveRef(store: PipelineStore, ref: string): RefResolution {
  if (ref.trim().length === 0) return { ok: false, problem: 'invalid', message: 'Pipeline reference cannot be blank' };
  if (ref.length > 256) return { ok: false, problem: 'invalid', message: `Pipeline reference too long: ${ref.length} characters (max 256)` };
  if (ref.startsWith('sha256:')) {
    const hash = ref.slice(7).toLowerCase();
    if (!isHash(hash)) return { ok: false, problem: 'invalid', message: `Invalid hash format: '${ref.slice(7)}' (expected 64 hex characters)` };
    return store.summary(hash) ? { ok: true, hash, byName: null } : missing(store, ref);
  }
  const aliased = store.resolveAlias(ref);
  if (aliased) return { ok: true, hash: aliased, byName: ref };
  if (ref.length === 64) {
    if (!/^[0-9a-fA-F]{64}$/.test(ref)) return { ok: false, problem: 'invalid', message: `Invalid hash format: '${ref}' (expected 64 hex characters)` };
    const hash = ref.toLowerCase();
    if (store.summary(hash)) return { ok: true, hash, byName: null };
  }
  return missing(store, ref);
}

function missing(store: PipelineStore, ref: string): RefResolution {
  return { ok: false, problem: store.completeView ? 'missing' : 'not-local', message: `Pipeline '${ref}' not found` };
}
