/**
 * Compare-and-set for records that several writers may change at once (versions, canary state;
 * on a cluster, writers on other instances). A record is read with its revision; a write names
 * the revision it was computed from and is refused when the record moved on, returning what is
 * there now so the writer can recompute. Revision 0 means "absent": a write expecting 0 creates.
 * NATS KV implements this with its per-key revision (`update(key, value, revision)`).
 */

export interface Revisioned<T> {
  readonly value: T;
  /** Increases with every write of the key; never 0 for a present record. */
  readonly revision: number;
}

export type CasOutcome<T> =
  | { readonly ok: true; readonly revision: number }
  | { readonly ok: false; readonly current: Revisioned<T> | undefined };

/** The in-process compare-and-set map shared by the in-memory stores. */
export class RevisionedMap<T> {
  private readonly entries = new Map<string, Revisioned<T>>();
  private counter = 0;

  get(key: string): Revisioned<T> | undefined {
    return this.entries.get(key);
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  values(): IterableIterator<Revisioned<T>> {
    return this.entries.values();
  }

  compareAndSet(key: string, value: T, expectedRevision: number): CasOutcome<T> {
    const current = this.entries.get(key);
    if ((current?.revision ?? 0) !== expectedRevision) return { ok: false, current };
    const revision = ++this.counter;
    this.entries.set(key, { value, revision });
    return { ok: true, revision };
  }

  /** Loads a record as it was persisted (start-up), with a fresh revision. */
  load(key: string, value: T): void {
    this.entries.set(key, { value, revision: ++this.counter });
  }

  snapshot(): Record<string, T> {
    const out: Record<string, T> = {};
    for (const [k, v] of this.entries) out[k] = v.value;
    return out;
  }
}
