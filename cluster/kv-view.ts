import { createHash, randomBytes } from 'node:crypto';
import type { KV, KvEntry, QueuedIterator } from 'nats';
import { z } from 'zod';
import type { BucketSpec } from './buckets.js';
import { defineEnvelope, MAX_INLINE_BYTES, type EnvelopeCodec } from './envelope.js';
import { coordinationUnavailable, isRevisionConflict } from './errors.js';
import { errorText } from './log.js';
import type { ClusterNode } from './node.js';

/**
 * A JetStream KV bucket with a local copy kept fresh by a watch: the building block of every
 * shared store. Reads of the copy are synchronous map lookups (the request path never waits on
 * NATS); writes go to the bucket and update the copy with the revision they got, so a writer
 * reads its own writes at once and other instances see them within one watch event.
 *
 * - Values are envelopes of one kind (`codec`); a value over ~900 KiB goes to the Object Store
 *   and the key holds a pointer `{objectName, digest, size}` (read back transparently).
 * - Anything in the bucket that is not a valid envelope of the kind (another writer's garbage, a
 *   newer format) is treated as absent and counted in the node's drop counter.
 * - `synchronise()` (run on every (re)connection) re-creates the watch and swaps in a complete
 *   new copy once the watch has delivered every current value; keys that vanished meanwhile are
 *   reported as deleted. Until then the previous copy keeps serving (possibly stale).
 * - Buckets with a max-age (nats-server 2.9 expires silently, no watch event): the copy hides
 *   entries older than `maxAgeMs` by their write time, as the server would have dropped them.
 * - Writes: `compareAndSet` (revision 0 creates), `put` (last writer wins), `delete` (optionally
 *   expecting a revision). All are shared operations: CoordinationUnavailable when NATS is away.
 */

export interface ViewEntry<T> {
  readonly value: T;
  /** The key's revision in its bucket (the stream sequence of the write). */
  readonly revision: number;
  /** Epoch ms of the write (server time). */
  readonly writtenAt: number;
}

export type CasResult<T> = { readonly ok: true; readonly revision: number } | { readonly ok: false; readonly current: ViewEntry<T> | undefined };

export type ViewChange<T> = { readonly key: string; readonly entry: ViewEntry<T> | undefined; readonly local: boolean };

const pointerEnvelope = defineEnvelope(
  'blob-pointer',
  z.object({ objectName: z.string().min(1).max(1024), digest: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().min(0) }),
  4 * 1024,
);

export interface KvViewOptions<T> {
  readonly node: ClusterNode;
  readonly spec: BucketSpec;
  readonly codec: EnvelopeCodec<T>;
  /** Keys this view holds; others (written by someone else) are ignored. */
  readonly isKey?: (key: string) => boolean;
  /** Hide entries written longer ago than this (the bucket's max-age). */
  readonly maxAgeMs?: number;
  /** How long a full synchronisation may take (default 30 s: it is never on the request path). */
  readonly syncTimeoutMs?: number;
  /** Keep no local copy (values too big or too many to mirror): reads go to the bucket. Default true. */
  readonly keepCopy?: boolean;
}

export class KvView<T> {
  private copy = new Map<string, ViewEntry<T>>();
  /** Keys whose value lives in the Object Store → its object name (removed with the key). */
  private readonly blobs = new Map<string, string>();
  private kv: KV | undefined;
  private watcher: QueuedIterator<KvEntry> | undefined;
  private generation = 0;
  private readonly listeners: ((change: ViewChange<T>) => void)[] = [];
  private readonly node: ClusterNode;
  readonly bucket: string;

  constructor(private readonly o: KvViewOptions<T>) {
    this.node = o.node;
    this.bucket = o.node.names.bucket(o.spec.purpose);
  }

  // ---------------------------------------------------------------- local reads (synchronous)

  get(key: string): ViewEntry<T> | undefined {
    const e = this.copy.get(key);
    if (e && this.expired(e)) return undefined;
    return e;
  }

  *entries(): IterableIterator<[string, ViewEntry<T>]> {
    for (const [k, e] of this.copy) if (!this.expired(e)) yield [k, e];
  }

  get size(): number {
    return this.copy.size;
  }

  /**
   * Drops from the copy what the bucket's max-age has expired by now, reporting each key as
   * deleted (nats-server 2.9 expires silently: no watch event). O(entries): call it now and then.
   */
  pruneExpired(): void {
    if (this.o.maxAgeMs === undefined) return;
    for (const [key, entry] of this.copy) {
      if (!this.expired(entry)) continue;
      this.copy.delete(key);
      this.emit(key, undefined, false);
    }
  }

  onChange(listener: (change: ViewChange<T>) => void): void {
    this.listeners.push(listener);
  }

  private expired(e: ViewEntry<T>): boolean {
    return this.o.maxAgeMs !== undefined && Date.now() - e.writtenAt > this.o.maxAgeMs;
  }

  private emit(key: string, entry: ViewEntry<T> | undefined, local: boolean): void {
    for (const l of this.listeners) {
      try {
        l({ key, entry, local });
      } catch (e) {
        this.node.logger.warn({ bucket: this.bucket, err: errorText(e) }, 'cluster: view listener failed');
      }
    }
  }

  // ---------------------------------------------------------------- synchronisation

  private async bucketHandle(timeoutMs?: number): Promise<KV> {
    this.kv ??= await this.node.buckets.kv(this.o.spec, timeoutMs);
    return this.kv;
  }

  /** Opens (or creates) the bucket without watching it: for views without a copy, at synchronisation. */
  async open(): Promise<void> {
    await this.bucketHandle(this.o.syncTimeoutMs ?? 30_000);
  }

  /** (Re)creates the watch and swaps in a complete copy; resolves when it is in place. */
  async synchronise(): Promise<void> {
    const generation = ++this.generation;
    this.watcher?.stop();
    this.watcher = undefined;
    const kv = await this.bucketHandle(this.o.syncTimeoutMs ?? 30_000);
    const fresh = new Map<string, ViewEntry<T>>();
    let live = false;
    const goLive = () => {
      const old = this.copy;
      this.copy = fresh;
      live = true;
      for (const [k, e] of fresh) if (old.get(k)?.revision !== e.revision) this.emit(k, e, false);
      for (const k of old.keys()) if (!fresh.has(k)) this.emit(k, undefined, false);
    };
    const timeoutMs = this.o.syncTimeoutMs ?? 30_000;
    const watch = await this.node.connection.shared(
      `watch ${this.bucket}`,
      () =>
        watchUntilCurrent(kv, async (entry) => {
          if (generation !== this.generation) return false;
          // this instance's own write coming back (the copy took it when the write was acknowledged):
          // nothing to decode or validate again
          if (live && entry.operation === 'PUT' && this.copy.get(entry.key)?.revision === entry.revision) return true;
          const decoded = await this.decodeEntry(entry);
          if (decoded === 'ignored') return true;
          if (live) this.apply(entry.key, decoded, false, entry.revision);
          else if (decoded) fresh.set(entry.key, decoded);
          else fresh.delete(entry.key);
          return true;
        }),
      timeoutMs,
    );
    this.watcher = watch.iterator;
    try {
      await withTimeout(watch.current, timeoutMs, () => coordinationUnavailable(`synchronise ${this.bucket}`, new Error('the watch did not deliver the current values in time')));
    } catch (e) {
      watch.iterator.stop();
      throw e;
    }
    if (generation !== this.generation) return;
    goLive();
  }

  /** Applies a change to the copy if it is newer than what the copy holds. */
  private apply(key: string, entry: ViewEntry<T> | undefined, local: boolean, revision = entry?.revision ?? 0): void {
    if (this.o.keepCopy === false) return;
    const current = this.copy.get(key);
    if (current && current.revision >= revision && revision !== 0) return;
    if (entry) this.copy.set(key, entry);
    else if (current) this.copy.delete(key);
    else return;
    this.emit(key, entry, local);
  }

  /**
   * The entry's value; `undefined` when the key holds nothing valid (a deletion, or a value that
   * failed validation: dropped, counted, and absent like the server's current value says);
   * `'ignored'` for a key that is not this view's.
   */
  private async decodeEntry(entry: KvEntry): Promise<ViewEntry<T> | undefined | 'ignored'> {
    if (this.o.isKey && !this.o.isKey(entry.key)) return 'ignored';
    if (entry.operation !== 'PUT') return undefined;
    const value = await this.decodeValue(entry.key, entry.value);
    if (value === undefined) return undefined;
    return { value, revision: entry.revision, writtenAt: entry.created.getTime() };
  }

  private async decodeValue(key: string, bytes: Uint8Array): Promise<T | undefined> {
    const d = this.o.codec.decode(bytes);
    if (d.ok) return d.value;
    if (d.reason === 'kind') {
      const pointer = pointerEnvelope.decode(bytes);
      if (pointer.ok) {
        const value = await this.readBlob(pointer.value);
        if (value !== undefined) this.blobs.set(key, pointer.value.objectName);
        return value;
      }
    }
    this.node.drops.record(this.o.codec.kind, d.reason, `${this.bucket}: ${d.detail}`);
    return undefined;
  }

  private async readBlob(p: { objectName: string; digest: string; size: number }): Promise<T | undefined> {
    try {
      const os = await this.node.buckets.objectStore();
      const blob = await this.node.connection.shared(`read ${p.objectName}`, () => os.getBlob(p.objectName), this.node.config.timers.operationTimeoutMs * 4);
      if (!blob || blob.length !== p.size || sha256(blob) !== p.digest) {
        this.node.drops.record(this.o.codec.kind, 'schema', `${this.bucket}: blob ${p.objectName} missing or altered`);
        return undefined;
      }
      const d = this.o.codec.decode(blob);
      if (d.ok) return d.value;
      this.node.drops.record(this.o.codec.kind, d.reason, `${this.bucket}: blob ${p.objectName}: ${d.detail}`);
    } catch (e) {
      this.node.logger.warn({ bucket: this.bucket, object: p.objectName, err: errorText(e) }, 'cluster: cannot read a large value from the object store');
    }
    return undefined;
  }

  // ---------------------------------------------------------------- authority reads and writes

  /** Reads the key from the bucket (not the copy) and refreshes the copy with it. */
  async fetch(key: string): Promise<ViewEntry<T> | undefined> {
    const kv = await this.bucketHandle();
    const entry = await this.node.connection.shared(`read ${this.bucket}`, () => kv.get(key));
    if (!entry) return undefined;
    const decoded = await this.decodeEntry(entry);
    if (decoded === 'ignored') return undefined;
    this.apply(key, decoded, false, entry.revision);
    return decoded && !this.expired(decoded) ? decoded : undefined;
  }

  /** Encodes a value, moving it to the Object Store when it is too large for a KV entry. */
  private async encode(key: string, value: T, freshObject = false): Promise<Uint8Array> {
    const bytes = this.o.codec.encode(value);
    if (bytes.length <= MAX_INLINE_BYTES) return bytes;
    const digest = sha256(bytes);
    // `freshObject`: a name of its own, which a deleter of the key's previous object cannot take away
    const objectName = `${this.o.spec.purpose}/${key}/${digest}${freshObject ? `.${randomBytes(6).toString('hex')}` : ''}`;
    const os = await this.node.buckets.objectStore();
    await this.node.connection.shared(`write ${objectName}`, () => os.putBlob({ name: objectName }, bytes), this.node.config.timers.operationTimeoutMs * 4);
    this.blobs.set(key, objectName);
    return pointerEnvelope.encode({ objectName, digest, size: bytes.length });
  }

  /**
   * Writes `value` if the key is still at `expectedRevision` (0: only if absent). On a conflict
   * the current entry is read from the bucket and returned.
   */
  async compareAndSet(key: string, value: T, expectedRevision: number): Promise<CasResult<T>> {
    const kv = await this.bucketHandle();
    // a create may follow another instance's delete of the key, whose removal of the old large
    // object may still be on its way: the new one gets a name of its own
    const bytes = await this.encode(key, value, expectedRevision === 0);
    try {
      const revision = await this.node.connection.shared(`write ${this.bucket}`, () => (expectedRevision === 0 ? kv.create(key, bytes) : kv.update(key, bytes, expectedRevision)));
      this.apply(key, { value, revision, writtenAt: Date.now() }, true);
      return { ok: true, revision };
    } catch (e) {
      if (!isRevisionConflict(e)) throw e;
      return { ok: false, current: await this.fetch(key) };
    }
  }

  /** Writes `value` whatever is there (last writer wins). */
  async put(key: string, value: T): Promise<number> {
    const kv = await this.bucketHandle();
    const bytes = await this.encode(key, value);
    const revision = await this.node.connection.shared(`write ${this.bucket}`, () => kv.put(key, bytes));
    this.apply(key, { value, revision, writtenAt: Date.now() }, true);
    return revision;
  }

  /**
   * For immutable values (content-addressed keys): makes the key current at the authority — its
   * stored bytes written again unchanged (a new revision and write time), or `value` written when
   * the key holds nothing (deleted meanwhile) or something this copy cannot vouch for. Either way
   * a delete expecting an older revision fails afterwards. Returns the new revision.
   */
  async refresh(key: string, value: T): Promise<number> {
    const kv = await this.bucketHandle();
    for (let attempt = 0; attempt < 5; attempt++) {
      const stored = await this.node.connection.shared(`read ${this.bucket}`, () => kv.get(key));
      const known = this.copy.get(key);
      try {
        if (stored && stored.operation === 'PUT' && known?.revision === stored.revision) {
          // the same bytes again (a blob pointer stays a pointer): nothing to encode or upload
          const revision = await this.node.connection.shared(`write ${this.bucket}`, () => kv.update(key, stored.value, stored.revision));
          this.apply(key, { value: known.value, revision, writtenAt: Date.now() }, true);
          return revision;
        }
        const live = stored && stored.operation === 'PUT';
        // written again after a delete: the deleter may still be removing the old large object
        const bytes = await this.encode(key, value, !live);
        const revision = await this.node.connection.shared(`write ${this.bucket}`, () => (live ? kv.update(key, bytes, stored.revision) : kv.create(key, bytes)));
        this.apply(key, { value, revision, writtenAt: Date.now() }, true);
        return revision;
      } catch (e) {
        // another writer was first: read again
        if (!isRevisionConflict(e)) throw e;
      }
    }
    throw coordinationUnavailable(`refresh ${this.bucket}`, new Error('the key kept changing'));
  }

  /** Deletes the key (if it is still at `expectedRevision`, when given); false on a conflict. */
  async delete(key: string, expectedRevision?: number): Promise<boolean> {
    const kv = await this.bucketHandle();
    try {
      await this.node.connection.shared(`delete from ${this.bucket}`, () => kv.delete(key, expectedRevision !== undefined ? { previousSeq: expectedRevision } : undefined));
    } catch (e) {
      if (isRevisionConflict(e)) return false;
      throw e;
    }
    const current = this.copy.get(key);
    if (current) {
      this.copy.delete(key);
      this.emit(key, undefined, true);
    }
    const blob = this.blobs.get(key);
    if (blob) {
      this.blobs.delete(key);
      // best effort: an orphaned object costs space, never correctness
      void this.node.buckets.objectStore().then((os) => os.delete(blob)).catch(() => {});
    }
    return true;
  }

  /** Every key's current value, read from the bucket through one ordered consumer (not the copy). */
  async readAll(timeoutMs = 10_000): Promise<Map<string, ViewEntry<T>>> {
    const kv = await this.bucketHandle();
    return this.node.connection.shared(
      `read ${this.bucket}`,
      async () => {
        const out = new Map<string, ViewEntry<T>>();
        const watch = await watchUntilCurrent(kv, async (entry) => {
          const decoded = await this.decodeEntry(entry);
          if (decoded && decoded !== 'ignored' && !this.expired(decoded)) out.set(entry.key, decoded);
          else if (decoded === undefined) out.delete(entry.key);
          return true;
        });
        try {
          await watch.current;
        } finally {
          watch.iterator.stop();
        }
        return out;
      },
      timeoutMs,
    );
  }

  /**
   * Removes the markers that deletes leave in the bucket once they are older than `olderThanMs`
   * (a bucket whose keys are never reused would otherwise keep one per deleted key, and every
   * synchronisation would read them all). Watchers in step saw each marker long before; a copy
   * rebuilt later reports the vanished keys as deleted all the same. Never on the request path:
   * it reads the whole bucket.
   */
  async purgeDeletes(olderThanMs: number, timeoutMs = 30_000): Promise<number> {
    // nats.js 2.x declares it on its bucket class, not on the KV interface it hands out
    const kv = (await this.bucketHandle()) as KV & { purgeDeletes(olderMillis: number): Promise<{ purged: number }> };
    const result = await this.node.connection.shared(`purge markers of ${this.bucket}`, () => kv.purgeDeletes(olderThanMs), timeoutMs);
    return result.purged;
  }

  /** Stops watching (the copy stays as it was). */
  stop(): void {
    this.generation++;
    this.watcher?.stop();
    this.watcher = undefined;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Watches every key of a bucket, handing entries one at a time (in order) to `onEntry` (which
 * returns false to stop). `current` resolves once every value present when the watch started
 * has been handed over (an empty bucket: at once); later entries are updates.
 */
async function watchUntilCurrent(kv: KV, onEntry: (entry: KvEntry) => Promise<boolean>): Promise<{ iterator: QueuedIterator<KvEntry>; current: Promise<void> }> {
  let initialised = false;
  let iterator: QueuedIterator<KvEntry> | undefined;
  let target = -1;
  let processed = 0;
  let resolve!: () => void;
  const current = new Promise<void>((r) => (resolve = r));
  const check = () => {
    if (!initialised || !iterator) return;
    // the client calls initializedFn either in order (after the last initial entry) or at once
    // when everything was already received: either way, what was received by then is the initial set
    if (target < 0) target = iterator.getReceived();
    if (processed >= target) resolve();
  };
  iterator = await kv.watch({
    initializedFn: () => {
      initialised = true;
      check();
    },
  });
  check();
  const it = iterator;
  void (async () => {
    for await (const entry of it) {
      const go = await onEntry(entry);
      processed++;
      check();
      if (!go) break;
    }
  })().catch(() => {});
  return { iterator: it, current };
}

async function withTimeout<T>(work: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(error()), ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
