import type { PipelineImage, PipelineStore } from '../../runtime/stores/pipeline-store.js';
import { aliasesPointingAt, isHash } from '../../runtime/stores/pipeline-store.js';
import type { ClusterTimers } from '../config.js';
import type { EnvelopeCodec } from '../envelope.js';
import { KvView } from '../kv-view.js';
import { decodeName, isValidKey } from '../naming.js';
import type { ClusterNode } from '../node.js';
import { aliasEnvelope, imageEnvelope, syntacticEnvelope } from './records.js';

/**
 * The shared pipeline store: images (`cst_<c>_images`, key = structural hash), aliases
 * (`cst_<c>_aliases`, key = encoded name, history 16 as an audit trail) and the syntactic index
 * (`cst_<c>_syntactic`, key = `<syntacticHash>.<dependencyHash>`, retention-bounded) in
 * JetStream KV, each mirrored in memory by a KvView.
 *
 * Reads are the mirrors' map lookups: `/execute` of a known name never waits on NATS. The view
 * is not complete (`completeView = false`): a miss may be a pipeline compiled a moment ago on
 * another instance, so the catalogue asks `fetchAlias` / `fetchImage`, which read the bucket
 * once (and answer CoordinationUnavailable while NATS is away). Images are immutable and
 * content-addressed, so writing one twice is harmless; alias moves are last-writer-wins.
 */
export class NatsPipelineStore implements PipelineStore {
  readonly completeView = false;
  private readonly images: KvView<PipelineImage>;
  private readonly aliasView: KvView<{ name: string; structuralHash: string; updatedAt: string; updatedBy: string }>;
  private readonly syntactic: KvView<{ structuralHash: string }>;
  /** Alias name → hash, derived from the alias view (the interface hands out a map). */
  private readonly aliasMap = new Map<string, string>();
  private readonly listeners: ((event: { kind: 'image' | 'alias'; key: string }) => void)[] = [];

  constructor(private readonly node: ClusterNode, timers: ClusterTimers) {
    this.images = new KvView({ node, spec: { purpose: 'images', description: 'Constellation: pipeline images by structural hash' }, codec: imageEnvelope as unknown as EnvelopeCodec<PipelineImage>, isKey: isHash });
    this.aliasView = new KvView({ node, spec: { purpose: 'aliases', description: 'Constellation: pipeline aliases', history: 16 }, codec: aliasEnvelope, isKey: (k) => decodeName(k) !== undefined });
    this.syntactic = new KvView({
      node,
      spec: { purpose: 'syntactic', description: 'Constellation: (syntactic hash, dependency hash) → structural hash', ttlMs: timers.syntacticRetentionMs },
      codec: syntacticEnvelope,
      maxAgeMs: timers.syntacticRetentionMs,
      isKey: (k) => /^[0-9a-f]{64}\.[0-9a-f]{1,128}$/.test(k),
    });
    this.images.onChange(({ key, local }) => !local && this.emit('image', key));
    this.aliasView.onChange(({ key, entry, local }) => {
      const name = entry?.value.name ?? decodeName(key);
      if (name === undefined) return;
      if (entry) this.aliasMap.set(name, entry.value.structuralHash);
      else this.aliasMap.delete(name);
      if (!local) this.emit('alias', name);
    });
  }

  private emit(kind: 'image' | 'alias', key: string): void {
    for (const l of this.listeners) {
      try {
        l({ kind, key });
      } catch {
        // a listener must not break the watch
      }
    }
  }

  onChange(listener: (event: { kind: 'image' | 'alias'; key: string }) => void): void {
    this.listeners.push(listener);
  }

  // ---------------------------------------------------------------- local reads

  getImage(hash: string): PipelineImage | undefined {
    return this.images.get(hash)?.value;
  }

  listImages(): PipelineImage[] {
    return [...this.images.entries()].map(([, e]) => e.value);
  }

  resolveAlias(name: string): string | undefined {
    return this.aliasMap.get(name);
  }

  aliases(): ReadonlyMap<string, string> {
    return this.aliasMap;
  }

  aliasesOf(hash: string): string[] {
    return aliasesPointingAt(this.aliasMap, hash);
  }

  lookupSyntactic(syntacticHash: string, dependencyHash: string): string | undefined {
    const key = `${syntacticHash}.${dependencyHash}`;
    return isValidKey(key) ? this.syntactic.get(key)?.value.structuralHash : undefined;
  }

  // ---------------------------------------------------------------- the authority

  async fetchImage(hash: string): Promise<PipelineImage | undefined> {
    if (!isHash(hash)) return undefined;
    return this.images.get(hash)?.value ?? (await this.images.fetch(hash))?.value;
  }

  async fetchAlias(name: string): Promise<string | undefined> {
    const key = this.key(name);
    if (key === undefined) return undefined;
    return (await this.aliasView.fetch(key))?.value.structuralHash;
  }

  /** Reloads every mirror from its bucket (after a reconnect; also the first synchronisation). */
  async resync(): Promise<void> {
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

  async setAlias(name: string, hash: string): Promise<void> {
    const key = this.key(name);
    if (key === undefined) throw new Error(`pipeline name too long for the shared store (${name.length} characters)`);
    await this.aliasView.put(key, { name, structuralHash: hash, updatedAt: new Date().toISOString(), updatedBy: this.node.instanceId });
  }

  async deleteAlias(name: string): Promise<boolean> {
    const key = this.key(name);
    if (key === undefined) return false;
    const existed = this.aliasMap.has(name) || (await this.aliasView.fetch(key)) !== undefined;
    if (!existed) return false;
    await this.aliasView.delete(key);
    return true;
  }

  async deleteImage(hash: string): Promise<boolean> {
    if (!isHash(hash)) return false;
    const image = this.images.get(hash)?.value ?? (await this.images.fetch(hash))?.value;
    if (!image) return false;
    await this.images.delete(hash);
    for (const [key, e] of this.syntactic.entries()) if (e.value.structuralHash === hash) await this.syntactic.delete(key);
    return true;
  }

  private key(name: string): string | undefined {
    return this.node.names.keyOf(name);
  }
}
