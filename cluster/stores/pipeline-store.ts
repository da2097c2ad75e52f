import { imageBytes, IndexedPipelineStore, isHash, summariseImage, type ImageSummary, type PipelineImage, type StoreChange } from '../../runtime/stores/pipeline-store.js';
import type { ClusterTimers } from '../config.js';
import type { EnvelopeCodec } from '../envelope.js';
import { KvView, type ViewEntry } from '../kv-view.js';
import { decodeName, isValidKey } from '../naming.js';
import type { ClusterNode } from '../node.js';
import { ImageUse } from './image-use.js';
import { aliasEnvelope, imageEnvelope, syntacticEnvelope } from './records.js';

/**
 * The shared pipeline store: images (`cst_<c>_images`, key = structural hash), aliases
 * (`cst_<c>_aliases`, key = encoded name, history 16 as an audit trail) and the syntactic index
 * (`cst_<c>_syntactic`, key = `<syntacticHash>.<dependencyHash>`, retention-bounded) in
 * JetStream KV, each mirrored in memory by a KvView; the summaries and the alias reverse index
 * of the runtime's `IndexedPipelineStore` are kept from the mirrors.
 *
 * Reads are the mirrors' map lookups: `/execute` of a known name never waits on NATS. The view
 * is not complete (`completeView = false`): a miss may be a pipeline compiled a moment ago on
 * another instance, so the catalogue asks `fetchAlias` / `fetchImage`, which read the bucket
 * once (and answer CoordinationUnavailable while NATS is away). Images are immutable and
 * content-addressed, so writing one twice is harmless; alias moves are last-writer-wins. Every
 * image is held in memory: the bounds on anonymous images bound the bucket, hence the mirror.
 *
 * Evicting anonymous images on a view that may lag (docs/decisions.md, "Cluster"):
 * - `evictImage` declines an image stored, renewed, left by its last alias or used anywhere in
 *   the cluster (image-use.ts) less than the grace period ago (`evictionGraceMs`), and deletes
 *   the others compare-and-set on the revision this view saw;
 * - `keepImage` — before an alias (`setAlias` does it), a version or a stored execution comes to
 *   depend on an image — writes the image's key again (or stores it again if an eviction took
 *   it). So an eviction decided elsewhere on an older view fails, and the instance that names
 *   the image wins; a fresh revision then waits out the grace period, by which time every view
 *   holds the new alias, version or execution.
 */

type AliasRecord = { name: string; structuralHash: string; updatedAt: string; updatedBy: string };

export interface NatsPipelineStoreOptions {
  /** Is an execution of the image running on this instance? (Its use is announced while it runs.) */
  readonly running?: (hash: string) => boolean;
  readonly now?: () => number;
}

export class NatsPipelineStore extends IndexedPipelineStore {
  readonly completeView = false;
  /** Declined evictions are worth a new look this often (a quarter of the grace period). */
  readonly evictionRetryMs: number;
  private readonly images: KvView<PipelineImage>;
  private readonly aliasView: KvView<AliasRecord>;
  private readonly syntactic: KvView<{ structuralHash: string }>;
  private readonly listeners: ((event: StoreChange) => void)[] = [];
  private readonly uses: ImageUse;
  /** Hash → when its last alias went (as this view saw it): a grace period starts again. */
  private readonly unaliasedAt = new Map<string, number>();
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(private readonly node: ClusterNode, timers: ClusterTimers, options: NatsPipelineStoreOptions = {}) {
    super();
    this.graceMs = timers.evictionGraceMs;
    this.evictionRetryMs = Math.max(100, Math.floor(this.graceMs / 4));
    this.now = options.now ?? Date.now;
    this.images = new KvView({ node, spec: { purpose: 'images', description: 'Constellation: pipeline images by structural hash' }, codec: imageEnvelope as unknown as EnvelopeCodec<PipelineImage>, isKey: isHash });
    this.aliasView = new KvView({ node, spec: { purpose: 'aliases', description: 'Constellation: pipeline aliases', history: 16 }, codec: aliasEnvelope, isKey: (k) => decodeName(k) !== undefined });
    this.syntactic = new KvView({
      node,
      spec: { purpose: 'syntactic', description: 'Constellation: (syntactic hash, dependency hash) → structural hash', ttlMs: timers.syntacticRetentionMs },
      codec: syntacticEnvelope,
      maxAgeMs: timers.syntacticRetentionMs,
      isKey: (k) => /^[0-9a-f]{64}\.[0-9a-f]{1,128}$/.test(k),
    });
    this.uses = new ImageUse(node, {
      windowMs: Math.floor(this.graceMs / 4),
      known: (hash) => this.index.has(hash),
      onPeerUse: (hash) => this.emit({ kind: 'use', key: hash }),
      ...(options.running ? { running: options.running } : {}),
      now: this.now,
    });
    this.images.onChange(({ key, entry, local }) => {
      if (entry) {
        // content-addressed: a new revision of a known key (a renewal) is the same image
        if (!this.index.has(key)) this.index.add(summariseImage(entry.value, imageBytes(entry.value)));
      } else {
        this.index.delete(key);
        this.uses.forget(key);
        this.unaliasedAt.delete(key);
      }
      if (!local) this.emit({ kind: 'image', key });
    });
    this.aliasView.onChange(({ key, entry, local }) => {
      const name = entry?.value.name ?? decodeName(key);
      if (name === undefined) return;
      const previous = this.aliasTable.get(name);
      if (entry) this.aliasTable.set(name, entry.value.structuralHash);
      else this.aliasTable.delete(name);
      if (previous !== undefined && !this.aliasTable.has(previous)) this.unaliasedAt.set(previous, this.now());
      if (!local) this.emit({ kind: 'alias', key: name });
    });
  }

  private emit(event: StoreChange): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // a listener must not break the watch
      }
    }
  }

  onChange(listener: (event: StoreChange) => void): void {
    this.listeners.push(listener);
  }

  // ---------------------------------------------------------------- local reads

  getImage(hash: string): PipelineImage | undefined {
    const entry = this.images.get(hash);
    if (entry === undefined) return undefined;
    this.used(hash);
    return entry.value;
  }

  override lookupSyntactic(syntacticHash: string, dependencyHash: string): string | undefined {
    const key = `${syntacticHash}.${dependencyHash}`;
    // the shared index may have expired an entry whose image is still stored
    return (isValidKey(key) ? this.syntactic.get(key)?.value.structuralHash : undefined) ?? this.index.lookupSyntactic(syntacticHash, dependencyHash);
  }

  /** A use of an image no alias names (an aliased one cannot be evicted): announced to the peers. */
  private used(hash: string): void {
    if (!this.aliasTable.has(hash)) this.uses.use(hash);
  }

  // ---------------------------------------------------------------- the authority

  async fetchImage(hash: string): Promise<PipelineImage | undefined> {
    if (!isHash(hash)) return undefined;
    const image = this.images.get(hash)?.value ?? (await this.images.fetch(hash))?.value;
    if (image) this.used(hash);
    return image;
  }

  override async fetchAlias(name: string): Promise<string | undefined> {
    const key = this.key(name);
    if (key === undefined) return undefined;
    return (await this.aliasView.fetch(key))?.value.structuralHash;
  }

  /** Reloads every mirror from its bucket (after a reconnect; also the first synchronisation). */
  async resync(): Promise<void> {
    this.uses.synchronise();
    // large images live there: open it now rather than on a request
    await this.node.buckets.objectStore(this.node.config.timers.operationTimeoutMs * 10);
    await this.images.synchronise();
    await this.aliasView.synchronise();
    await this.syntactic.synchronise();
  }

  // ---------------------------------------------------------------- writes

  async putImage(image: PipelineImage): Promise<void> {
    // the image and its index entry are independent keys: written side by side
    const writes: Promise<unknown>[] = [];
    if (!this.images.get(image.structuralHash)) {
      writes.push(
        this.images.compareAndSet(image.structuralHash, image, 0).then(async (outcome) => {
          // already there (another instance stored the same content): nothing to do; there but
          // unreadable (an invalid value): replaced
          if (!outcome.ok && !outcome.current) await this.images.put(image.structuralHash, image);
        }),
      );
    }
    const key = `${image.syntacticHash}.${image.registryHash}`;
    if (isValidKey(key) && this.syntactic.get(key)?.value.structuralHash !== image.structuralHash) writes.push(this.syntactic.put(key, { structuralHash: image.structuralHash }));
    await Promise.all(writes);
  }

  /**
   * Writes the image's key again, unless this view saw it written less than half the grace
   * period ago (no eviction can take that revision before every view holds what depends on it).
   */
  async keepImage(image: PipelineImage): Promise<void> {
    const entry = this.images.get(image.structuralHash);
    if (entry && this.now() - entry.writtenAt < this.graceMs / 2) return;
    await this.images.refresh(image.structuralHash, image);
  }

  async setAlias(name: string, hash: string): Promise<void> {
    const key = this.key(name);
    if (key === undefined) throw new Error(`pipeline name too long for the shared store (${name.length} characters)`);
    // an alias must not outlive its image: an eviction decided on an older view fails from here on
    const image = this.images.get(hash)?.value;
    if (image) await this.keepImage(image);
    await this.aliasView.put(key, { name, structuralHash: hash, updatedAt: new Date().toISOString(), updatedBy: this.node.instanceId });
  }

  async deleteAlias(name: string): Promise<boolean> {
    const key = this.key(name);
    if (key === undefined) return false;
    const existed = this.aliasTable.get(name) !== undefined || (await this.aliasView.fetch(key)) !== undefined;
    if (!existed) return false;
    await this.aliasView.delete(key);
    return true;
  }

  /** A client's delete: whatever revision the bucket holds. */
  async deleteImage(hash: string): Promise<boolean> {
    if (!isHash(hash)) return false;
    const known = this.images.get(hash) ?? (await this.images.fetch(hash));
    if (!known) return false;
    const summary = this.index.get(hash);
    await this.images.delete(hash);
    if (summary) await this.dropSyntactic(summary);
    return true;
  }

  /** The bounds on anonymous images chose this one: deleted only if nobody named, kept or used it lately. */
  async evictImage(hash: string): Promise<boolean> {
    const entry = this.images.get(hash);
    // decisions are taken on a view in step only (after a reconnect the mirrors are rebuilt)
    if (!entry || !this.node.inStep || this.aliasTable.has(hash)) return false;
    if (this.now() - this.lastActivity(hash, entry) < this.graceMs) return false;
    const summary = this.index.get(hash);
    // compare-and-set on the revision this view saw: a renewal by another instance wins
    if (!(await this.images.delete(hash, entry.revision))) return false;
    if (summary) await this.dropSyntactic(summary);
    return true;
  }

  /** When the image was last stored or renewed, left by its last alias, or used in the cluster (epoch ms). */
  private lastActivity(hash: string, entry: ViewEntry<PipelineImage>): number {
    return Math.max(entry.writtenAt, this.uses.lastUsedAt(hash) ?? 0, this.unaliasedAt.get(hash) ?? 0);
  }

  /** The image's syntactic index entry, if it still points at the image (a newer image may own it). */
  private async dropSyntactic(summary: ImageSummary): Promise<void> {
    const key = `${summary.syntacticHash}.${summary.registryHash}`;
    const entry = isValidKey(key) ? this.syntactic.get(key) : undefined;
    if (entry?.value.structuralHash === summary.structuralHash) await this.syntactic.delete(key, entry.revision);
  }

  private key(name: string): string | undefined {
    return this.node.names.keyOf(name);
  }
}
