import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { estimatedCodeFootprint } from '../../runtime/codegen/pipeline-codec.js';
import { imageSchema, imageSummarySchema, IndexedPipelineStore, isHash, summariseImage, type ImageSummary, type PipelineImage } from '../../runtime/stores/pipeline-store.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import { problemOf, Quarantine, type Warn } from './quarantine.js';
import { RecordLog } from './record-log.js';

/**
 * The embedded pipeline store: `<dataDir>/pipelines/images/<hash>.json` (one image a file, the
 * reference's layout), `aliases.json`, and `image-index.jsonl`, the summaries of the stored
 * images (see record-log.ts). Files are written atomically.
 *
 * Memory is bounded: start-up reads the summaries and the aliased images only; other images
 * are read from disk when first asked for (`fetchImage`) and kept in memory within
 * `memoryBytes` (estimated heap), the least recently used going first (a second-chance clock:
 * a read sets a flag, no reordering on the request path). Aliased images always stay in memory,
 * so `/execute` by name never waits on the disk. How many images are stored at all is the
 * catalogue's business (the bounds on anonymous images, runtime/pipelines/image-retention.ts).
 *
 * Damage is contained: a file that fails to parse or validate is moved aside (quarantine.ts) and
 * logged, never loaded and never overwritten; `aliasesLost` tells the catalogue to rebuild the
 * aliases from the version histories. An alias whose image is missing is kept (and logged):
 * the image may be rebuilt from a version's source.
 */

const aliasesSchema = z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/));

/** Heap an image in memory takes per byte of its JSON (measured at 1–3.5; an overestimate is safe). */
const HEAP_PER_JSON_BYTE = 4;

export interface FilePipelineStoreOptions {
  readonly warn?: Warn;
  /** Estimated heap the images no alias pins may hold in memory (default 64 MiB). */
  readonly memoryBytes?: number;
}

interface Resident {
  readonly image: PipelineImage;
  readonly heapBytes: number;
  /** Read since the clock hand last passed (second chance). */
  used: boolean;
}

export class FilePipelineStore extends IndexedPipelineStore {
  readonly completeView = true;
  /** True when `aliases.json` could not be read at start-up (it was moved aside): rebuild them from versions. */
  aliasesLost = false;
  private readonly dir: string;
  private readonly imagesDir: string;
  private readonly warn: Warn;
  private readonly quarantine: Quarantine;
  private readonly memoryBytes: number;
  /** Every image in memory. */
  private readonly resident = new Map<string, Resident>();
  /** The resident images no alias pins, oldest first: the ones the memory budget may drop. */
  private readonly unpinned = new Map<string, Resident>();
  private unpinnedBytes = 0;
  private readonly loading = new Map<string, Promise<PipelineImage | undefined>>();
  private log!: RecordLog<ImageSummary>;
  private writes: Promise<void> = Promise.resolve();

  private constructor(dataDir: string, options: FilePipelineStoreOptions) {
    super();
    this.dir = join(dataDir, 'pipelines');
    this.imagesDir = join(this.dir, 'images');
    this.warn = options.warn ?? (() => {});
    this.quarantine = new Quarantine(dataDir, this.warn);
    this.memoryBytes = options.memoryBytes ?? 64 * 1024 * 1024;
  }

  /** `warn` may be given alone (as before the options existed). */
  static async open(dataDir: string, options: FilePipelineStoreOptions | Warn = {}): Promise<FilePipelineStore> {
    const store = new FilePipelineStore(dataDir, typeof options === 'function' ? { warn: options } : options);
    await store.load();
    return store;
  }

  // ------------------------------------------------------------------ reads

  override getImage(hash: string): PipelineImage | undefined {
    const r = this.resident.get(hash);
    if (r === undefined) return undefined;
    r.used = true;
    return r.image;
  }

  /** The image, read from disk when it is stored but not in memory (concurrent reads share one). */
  override fetchImage(hash: string): Promise<PipelineImage | undefined> {
    const r = this.resident.get(hash);
    if (r !== undefined) {
      r.used = true;
      return Promise.resolve(r.image);
    }
    if (!this.index.has(hash)) return Promise.resolve(undefined);
    let pending = this.loading.get(hash);
    if (!pending) {
      pending = this.readImage(hash).finally(() => this.loading.delete(hash));
      this.loading.set(hash, pending);
    }
    return pending;
  }

  /** Memory held by images no alias pins: the budget's bookkeeping (metrics, tests). */
  memoryUsage(): { readonly residentImages: number; readonly unpinnedHeapBytes: number; readonly maxBytes: number } {
    return { residentImages: this.resident.size, unpinnedHeapBytes: this.unpinnedBytes, maxBytes: this.memoryBytes };
  }

  // ------------------------------------------------------------------ writes

  override async putImage(image: PipelineImage): Promise<void> {
    const hash = image.structuralHash;
    if (!isHash(hash)) throw new Error(`invalid structural hash '${hash}'`);
    const stored = this.index.get(hash);
    if (stored) {
      // stored already (content-addressed: the same image but for its compile time); keep it at hand
      if (!this.resident.has(hash)) this.admit(image.compiledAt === stored.compiledAt ? image : { ...image, compiledAt: stored.compiledAt }, stored.bytes);
      return;
    }
    const text = JSON.stringify(image);
    const summary = summariseImage(image, Buffer.byteLength(text));
    // durable first, visible second: a failed write leaves nothing behind that would vanish on restart
    await this.enqueue(() => writeFileAtomic(this.imagePath(hash), text));
    if (this.index.has(hash)) return; // a concurrent put of the same image won
    this.index.add(summary);
    this.admit(image, summary.bytes);
    await this.log.set(hash, summary);
  }

  override async setAlias(name: string, hash: string): Promise<void> {
    const previous = this.aliasTable.get(name);
    this.aliasTable.set(name, hash);
    if (previous !== undefined && previous !== hash) this.unpinIfUnaliased(previous);
    this.pin(hash);
    await this.saveAliases();
    // an aliased image is kept in memory: executing it by name must not wait on the disk
    if (!this.resident.has(hash) && this.index.has(hash)) await this.fetchImage(hash);
  }

  override async deleteAlias(name: string): Promise<boolean> {
    const hash = this.aliasTable.get(name);
    if (hash === undefined) return false;
    this.aliasTable.delete(name);
    this.unpinIfUnaliased(hash);
    await this.saveAliases();
    return true;
  }

  /** Forgets the image at once (memory and index), then removes its file. */
  override async deleteImage(hash: string): Promise<boolean> {
    if (!this.index.delete(hash)) return false;
    this.drop(hash);
    await Promise.all([this.enqueue(() => rm(this.imagePath(hash), { force: true })), this.log.remove(hash)]);
    return true;
  }

  /** Re-reads the directory (another process wrote it, or a restore): the view becomes the files. */
  override async resync(): Promise<void> {
    await this.writes;
    await this.log.flushed();
    this.index.clear();
    this.aliasTable.clear();
    this.resident.clear();
    this.unpinned.clear();
    this.unpinnedBytes = 0;
    await this.load();
  }

  // ------------------------------------------------------------------ memory budget

  private admit(image: PipelineImage, jsonBytes: number): void {
    const hash = image.structuralHash;
    if (this.resident.has(hash)) return;
    // the pipeline's generated decoder and encoders live exactly as long as its DAG: count them here
    const r: Resident = { image, heapBytes: jsonBytes * HEAP_PER_JSON_BYTE + estimatedCodeFootprint(image.dag), used: false };
    this.resident.set(hash, r);
    if (this.aliasTable.has(hash)) return;
    this.unpinned.set(hash, r);
    this.unpinnedBytes += r.heapBytes;
    this.trim();
  }

  /** Drops unpinned images from memory until the budget holds: a second chance for the ones read since the hand passed. */
  private trim(): void {
    let budget = this.unpinned.size * 2;
    while (this.unpinnedBytes > this.memoryBytes && budget-- > 0) {
      const [hash, r] = this.unpinned.entries().next().value as [string, Resident];
      this.unpinned.delete(hash);
      if (r.used) {
        r.used = false;
        this.unpinned.set(hash, r);
        continue;
      }
      this.unpinnedBytes -= r.heapBytes;
      this.resident.delete(hash);
    }
  }

  private pin(hash: string): void {
    const r = this.unpinned.get(hash);
    if (!r) return;
    this.unpinned.delete(hash);
    this.unpinnedBytes -= r.heapBytes;
  }

  private unpinIfUnaliased(hash: string): void {
    if (this.aliasTable.has(hash)) return;
    const r = this.resident.get(hash);
    if (!r || this.unpinned.has(hash)) return;
    this.unpinned.set(hash, r);
    this.unpinnedBytes += r.heapBytes;
    this.trim();
  }

  private drop(hash: string): void {
    this.resident.delete(hash);
    const r = this.unpinned.get(hash);
    if (r) {
      this.unpinned.delete(hash);
      this.unpinnedBytes -= r.heapBytes;
    }
  }

  // ------------------------------------------------------------------ files

  private imagePath(hash: string): string {
    return join(this.imagesDir, `${hash}.json`);
  }

  /** Reads and validates one image file; a damaged one is moved aside and forgotten. */
  private async readImage(hash: string): Promise<PipelineImage | undefined> {
    const path = this.imagePath(hash);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.warn(`pipeline store: image ${hash} is indexed but its file is missing`, { path });
      await this.forget(hash);
      return undefined;
    }
    const image = this.parseImage(hash, text);
    if (image instanceof Error) {
      await this.quarantine.moveAside(path, problemOf(image));
      await this.forget(hash);
      return undefined;
    }
    // deleted or replaced while it was read
    if (!this.index.has(hash)) return undefined;
    this.admit(image, Buffer.byteLength(text));
    return this.resident.get(hash)?.image ?? image;
  }

  private parseImage(hash: string, text: string): PipelineImage | Error {
    try {
      const parsed = imageSchema.safeParse(JSON.parse(text));
      if (!parsed.success) return new Error(parsed.error.issues[0]?.message ?? 'invalid image');
      const image = parsed.data as unknown as PipelineImage;
      return image.structuralHash === hash ? image : new Error('file name and hash differ');
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  }

  private async forget(hash: string): Promise<void> {
    if (!this.index.delete(hash)) return;
    this.drop(hash);
    await this.log.remove(hash);
  }

  /**
   * Start-up: the summaries from the index log, reconciled with the directory listing (a file
   * the log does not know is read once; a record without a file is dropped), then the aliases
   * and the aliased images. Everything else stays on disk until asked for.
   */
  private async load(): Promise<void> {
    await mkdir(this.imagesDir, { recursive: true });
    for (const stray of await readdir(this.dir)) if (stray.endsWith('.tmp')) await rm(join(this.dir, stray), { force: true });
    const onDisk = new Set<string>();
    for (const name of await readdir(this.imagesDir)) {
      if (name.endsWith('.tmp')) await rm(join(this.imagesDir, name), { force: true });
      else if (name.endsWith('.json') && isHash(name.slice(0, -5))) onDisk.add(name.slice(0, -5));
    }
    const opened = await RecordLog.open(join(this.dir, 'image-index.jsonl'), imageSummarySchema as z.ZodType<ImageSummary>, this.quarantine, () => this.indexRecords(), () => this.index.size);
    this.log = opened.log;
    let reconciled = opened.clean;
    for (const [hash, summary] of opened.records) {
      if (onDisk.has(hash) && summary.structuralHash === hash) this.index.add(summary);
      else reconciled = false;
    }
    for (const hash of onDisk) {
      if (this.index.has(hash)) continue;
      reconciled = false;
      const text = await readFileIfExists(this.imagePath(hash));
      if (text === undefined) continue;
      const image = this.parseImage(hash, text);
      if (image instanceof Error) await this.quarantine.moveAside(this.imagePath(hash), problemOf(image));
      else this.index.add(summariseImage(image, Buffer.byteLength(text)));
    }
    if (!reconciled) await this.log.rewrite();
    await this.loadAliases();
  }

  private *indexRecords(): Iterable<readonly [string, ImageSummary]> {
    for (const s of this.index.values()) yield [s.structuralHash, s];
  }

  private async loadAliases(): Promise<void> {
    const path = join(this.dir, 'aliases.json');
    const text = await readFileIfExists(path);
    if (text === undefined) return;
    let aliases: Record<string, string>;
    try {
      aliases = aliasesSchema.parse(JSON.parse(text));
    } catch (e) {
      // moved aside before anything writes the file again: the next alias write starts a fresh one
      await this.quarantine.moveAside(path, problemOf(e));
      this.aliasesLost = true;
      return;
    }
    for (const [name, hash] of Object.entries(aliases)) {
      this.aliasTable.set(name, hash);
      if (!this.index.has(hash)) this.warn(`pipeline store: alias '${name}' points at image ${hash}, which is not stored`, { alias: name, hash });
      else if (!(await this.fetchImage(hash))) this.warn(`pipeline store: alias '${name}' points at image ${hash}, which could not be read`, { alias: name, hash });
    }
  }

  /** Serialises file writes so concurrent requests never interleave partial snapshots of one file. */
  private enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.writes.then(write, write);
    this.writes = next.catch(() => {});
    return next;
  }

  private saveAliases(): Promise<void> {
    const snapshot = JSON.stringify(Object.fromEntries(this.aliasTable.all()), null, 1);
    return this.enqueue(() => writeFileAtomic(join(this.dir, 'aliases.json'), snapshot));
  }
}
