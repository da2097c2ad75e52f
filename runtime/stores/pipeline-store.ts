import { z } from 'zod';
import type { Dag, DagSourceMap } from '../compiler/dag.js';
import { parseDag } from '../compiler/dag-schema.js';

/**
 * The pipeline store: content-addressed images, aliases, and the syntactic index
 * `(syntacticHash, dependencyHash) → structuralHash` (the dependency hash travels in the image as
 * `registryHash`). Only the pipeline catalogue (runtime/pipelines/catalogue.ts) writes to it.
 *
 * Sync reads, async writes (a deliberate departure from the reference's all-async SPI, see
 * docs/decisions.md "Store interfaces"): every implementation keeps an in-memory view (the file
 * store loads it at start-up, a NATS store watches its bucket), so executing by reference costs
 * two map lookups on the request path. Writes are durable when they resolve. Alias moves are
 * last-writer-wins; images are immutable, so their writes cannot conflict.
 *
 * A view that may lag its authority (a network store) says so with `completeView = false`: a
 * local miss then means "not known locally", and `fetchImage` / `fetchAlias` ask the authority
 * whether it exists at all. `resync` rebuilds the view (after a reconnect).
 *
 * The view knows every image by its summary (`summary`, `summaries`: hashes, compile time, size,
 * outputs) but need not hold every image: `getImage` answers the images in memory (always the
 * aliased ones, in the file store), `fetchImage` any stored image (the file store reads it from
 * disk and keeps it in memory within a budget). So a store can hold more images than memory,
 * and start-up reads the summaries, not every image.
 *
 * A store whose view lags and that other writers share (a cluster) protects the images they name
 * or use from an eviction decided on an older view: `evictImage` deletes only what its authority
 * still holds as the view saw it, after a grace period, and `keepImage` renews an image at the
 * authority before it is named or referenced (docs/decisions.md, "Cluster").
 */

/** A change another writer made (`image`, `alias`), or a use of an image elsewhere (`use`: it counts as recently used). */
export interface StoreChange {
  readonly kind: 'image' | 'alias' | 'use';
  /** The structural hash (`image`, `use`) or the alias name. */
  readonly key: string;
}

export const IMAGE_FORMAT_VERSION = 1;

export interface PipelineImage {
  readonly formatVersion: typeof IMAGE_FORMAT_VERSION;
  readonly structuralHash: string;
  readonly syntacticHash: string;
  /**
   * The dependency hash: of the registry entries the pipeline's source looked up (the name is
   * the reference's; the value no longer covers the whole registry, see
   * FunctionRegistry.dependencyHash).
   */
  readonly registryHash: string;
  readonly dag: Dag;
  readonly sourceMap: DagSourceMap | null;
  readonly source: string | null;
  readonly compiledAt: string;
}

const HASH = /^[0-9a-f]{64}$/;

export const imageSchema = z.object({
  formatVersion: z.literal(IMAGE_FORMAT_VERSION),
  structuralHash: z.string().regex(HASH),
  syntacticHash: z.string().regex(HASH),
  registryHash: z.string(),
  dag: z.unknown().transform((d, check) => {
    try {
      return parseDag(d);
    } catch (e) {
      check.addIssue({ code: 'custom', message: `invalid DAG: ${e instanceof Error ? e.message.slice(0, 300) : String(e)}` });
      return z.NEVER;
    }
  }),
  sourceMap: z.array(z.tuple([z.number(), z.number()]).nullable()).nullable(),
  source: z.string().nullable(),
  compiledAt: z.string(),
});

export function isHash(text: string): boolean {
  return HASH.test(text);
}

/** What the view knows of every stored image without holding it (listing, budgets, eviction). */
export interface ImageSummary {
  readonly structuralHash: string;
  readonly syntacticHash: string;
  readonly registryHash: string;
  readonly compiledAt: string;
  /** Bytes of the stored image (its JSON): what the bounds on anonymous images count. */
  readonly bytes: number;
  readonly moduleCount: number;
  readonly declaredOutputs: readonly string[];
}

export const imageSummarySchema = z.object({
  structuralHash: z.string().regex(HASH),
  syntacticHash: z.string().regex(HASH),
  registryHash: z.string(),
  compiledAt: z.string(),
  bytes: z.number().int().min(0),
  moduleCount: z.number().int().min(0),
  declaredOutputs: z.array(z.string()),
});

export function summariseImage(image: PipelineImage, bytes: number): ImageSummary {
  let moduleCount = 0;
  for (const node of image.dag.nodes) if (node.kind === 'module') moduleCount++;
  return {
    structuralHash: image.structuralHash,
    syntacticHash: image.syntacticHash,
    registryHash: image.registryHash,
    compiledAt: image.compiledAt,
    bytes,
    moduleCount,
    declaredOutputs: image.dag.outputs.map((o) => o.name),
  };
}

/** The bytes an image takes stored (its JSON text). */
export function imageBytes(image: PipelineImage): number {
  return Buffer.byteLength(JSON.stringify(image));
}

export interface PipelineStore {
  /** True when a local miss means "does not exist" (in-memory and file stores). */
  readonly completeView: boolean;
  /** The image if the view holds it in memory (synchronous: the request path). */
  getImage(hash: string): PipelineImage | undefined;
  /** The summary of a stored image the view knows, whether or not it holds the image in memory. */
  summary(hash: string): ImageSummary | undefined;
  /** Summaries of every image the view knows. */
  summaries(): Iterable<ImageSummary>;
  resolveAlias(name: string): string | undefined;
  /** Every alias → hash. */
  aliases(): ReadonlyMap<string, string>;
  /** The aliases pointing at a hash, sorted (cheap: the eviction of anonymous images asks it per image). */
  aliasesOf(hash: string): string[];
  lookupSyntactic(syntacticHash: string, registryHash: string): string | undefined;
  putImage(image: PipelineImage): Promise<void>;
  setAlias(name: string, hash: string): Promise<void>;
  deleteAlias(name: string): Promise<boolean>;
  deleteImage(hash: string): Promise<boolean>;
  /**
   * Deletes an image the bounds on anonymous images chose, unless the store knows better: a
   * shared store keeps an image stored, named, kept or used (here or elsewhere) within its grace
   * period, or changed at the authority since its view saw it. False: kept (or already gone).
   * Optional: without it the catalogue calls `deleteImage`.
   */
  evictImage?(hash: string): Promise<boolean>;
  /** When an eviction `evictImage` declined is worth asking again (ms). */
  readonly evictionRetryMs?: number;
  /**
   * Makes sure the image is stored at the authority and cannot be evicted on an older view:
   * called before a name or a stored execution comes to depend on it. Optional: without it the
   * catalogue stores the image again when its view lost it.
   */
  keepImage?(image: PipelineImage): Promise<void>;
  /** The image from the authority (or the disk), whether or not the local view holds it. */
  fetchImage(hash: string): Promise<PipelineImage | undefined>;
  /** The alias from the authority, whether or not the local view has it yet. */
  fetchAlias(name: string): Promise<string | undefined>;
  /** Rebuilds the local view from the authority. */
  resync(): Promise<void>;
  /** Called when another instance (cluster) or another writer changed the store, or used an image. */
  onChange?(listener: (event: StoreChange) => void): void;
}

/**
 * Aliases with their reverse index (hash → names), so "is this image aliased?" costs one lookup.
 * Shared by the in-memory and file stores; a network store may use it for its view too.
 */
export class AliasTable {
  private readonly byName = new Map<string, string>();
  private readonly byHash = new Map<string, Set<string>>();

  get(name: string): string | undefined {
    return this.byName.get(name);
  }

  all(): ReadonlyMap<string, string> {
    return this.byName;
  }

  of(hash: string): string[] {
    const names = this.byHash.get(hash);
    return names ? [...names].sort() : [];
  }

  has(hash: string): boolean {
    return this.byHash.has(hash);
  }

  set(name: string, hash: string): void {
    this.delete(name);
    this.byName.set(name, hash);
    let names = this.byHash.get(hash);
    if (!names) this.byHash.set(hash, (names = new Set()));
    names.add(name);
  }

  delete(name: string): boolean {
    const hash = this.byName.get(name);
    if (hash === undefined) return false;
    this.byName.delete(name);
    const names = this.byHash.get(hash)!;
    names.delete(name);
    if (names.size === 0) this.byHash.delete(hash);
    return true;
  }

  clear(): void {
    this.byName.clear();
    this.byHash.clear();
  }
}

/** Summaries of every stored image with the syntactic index `(syntacticHash, registryHash) → structuralHash`. */
export class ImageIndex {
  private readonly byHash = new Map<string, ImageSummary>();
  private readonly syntactic = new Map<string, string>();

  get(hash: string): ImageSummary | undefined {
    return this.byHash.get(hash);
  }

  has(hash: string): boolean {
    return this.byHash.has(hash);
  }

  values(): IterableIterator<ImageSummary> {
    return this.byHash.values();
  }

  get size(): number {
    return this.byHash.size;
  }

  lookupSyntactic(syntacticHash: string, registryHash: string): string | undefined {
    return this.syntactic.get(`${syntacticHash}:${registryHash}`);
  }

  add(summary: ImageSummary): void {
    this.byHash.set(summary.structuralHash, summary);
    this.syntactic.set(`${summary.syntacticHash}:${summary.registryHash}`, summary.structuralHash);
  }

  delete(hash: string): ImageSummary | undefined {
    const summary = this.byHash.get(hash);
    if (!summary) return undefined;
    this.byHash.delete(hash);
    const key = `${summary.syntacticHash}:${summary.registryHash}`;
    if (this.syntactic.get(key) === hash) this.syntactic.delete(key);
    return summary;
  }

  clear(): void {
    this.byHash.clear();
    this.syntactic.clear();
  }
}

/**
 * The read side of a store that keeps every image's summary and every alias in memory: the
 * in-memory and file stores extend it (a network store may too); each decides where images live.
 */
export abstract class IndexedPipelineStore implements PipelineStore {
  abstract readonly completeView: boolean;
  protected readonly index = new ImageIndex();
  protected readonly aliasTable = new AliasTable();

  abstract getImage(hash: string): PipelineImage | undefined;
  abstract fetchImage(hash: string): Promise<PipelineImage | undefined>;
  abstract putImage(image: PipelineImage): Promise<void>;
  abstract setAlias(name: string, hash: string): Promise<void>;
  abstract deleteAlias(name: string): Promise<boolean>;
  abstract deleteImage(hash: string): Promise<boolean>;
  abstract resync(): Promise<void>;

  summary(hash: string): ImageSummary | undefined {
    return this.index.get(hash);
  }

  summaries(): Iterable<ImageSummary> {
    return this.index.values();
  }

  resolveAlias(name: string): string | undefined {
    return this.aliasTable.get(name);
  }

  aliases(): ReadonlyMap<string, string> {
    return this.aliasTable.all();
  }

  aliasesOf(hash: string): string[] {
    return this.aliasTable.of(hash);
  }

  lookupSyntactic(syntacticHash: string, registryHash: string): string | undefined {
    return this.index.lookupSyntactic(syntacticHash, registryHash);
  }

  async fetchAlias(name: string): Promise<string | undefined> {
    return this.aliasTable.get(name);
  }
}

/** The in-memory store (every image in memory); the file store adds persistence and a memory budget. */
export class MemoryPipelineStore extends IndexedPipelineStore {
  readonly completeView: boolean = true;
  protected readonly images = new Map<string, PipelineImage>();

  getImage(hash: string): PipelineImage | undefined {
    return this.images.get(hash);
  }

  async fetchImage(hash: string): Promise<PipelineImage | undefined> {
    return this.images.get(hash);
  }

  /** The memory store is its own authority: nothing to reload. */
  async resync(): Promise<void> {}

  async putImage(image: PipelineImage): Promise<void> {
    if (this.index.has(image.structuralHash)) return;
    this.images.set(image.structuralHash, image);
    this.index.add(summariseImage(image, imageBytes(image)));
  }

  async setAlias(name: string, hash: string): Promise<void> {
    this.aliasTable.set(name, hash);
  }

  async deleteAlias(name: string): Promise<boolean> {
    return this.aliasTable.delete(name);
  }

  async deleteImage(hash: string): Promise<boolean> {
    if (!this.index.delete(hash)) return false;
    this.images.delete(hash);
    return true;
  }
}
