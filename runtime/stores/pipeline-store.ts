import { z } from 'zod';
import type { Dag, DagSourceMap } from '../compiler/dag.js';
import { parseDag } from '../compiler/dag-schema.js';

/**
 * The pipeline store: content-addressed images, aliases, and the syntactic index
 * `(syntacticHash, registryHash) → structuralHash`. Only the pipeline catalogue
 * (runtime/pipelines/catalogue.ts) writes to it.
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
 */

export const IMAGE_FORMAT_VERSION = 1;

export interface PipelineImage {
  readonly formatVersion: typeof IMAGE_FORMAT_VERSION;
  readonly structuralHash: string;
  readonly syntacticHash: string;
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

export interface PipelineStore {
  /** True when a local miss means "does not exist" (in-memory and file stores). */
  readonly completeView: boolean;
  getImage(hash: string): PipelineImage | undefined;
  listImages(): PipelineImage[];
  resolveAlias(name: string): string | undefined;
  /** Every alias → hash. */
  aliases(): ReadonlyMap<string, string>;
  aliasesOf(hash: string): string[];
  lookupSyntactic(syntacticHash: string, registryHash: string): string | undefined;
  putImage(image: PipelineImage): Promise<void>;
  setAlias(name: string, hash: string): Promise<void>;
  deleteAlias(name: string): Promise<boolean>;
  deleteImage(hash: string): Promise<boolean>;
  /** The image from the authority, whether or not the local view has it yet. */
  fetchImage(hash: string): Promise<PipelineImage | undefined>;
  /** The alias from the authority, whether or not the local view has it yet. */
  fetchAlias(name: string): Promise<string | undefined>;
  /** Rebuilds the local view from the authority. */
  resync(): Promise<void>;
  /** Called when another instance (cluster) or another writer changed the store. */
  onChange?(listener: (event: { kind: 'image' | 'alias'; key: string }) => void): void;
}

/** The in-memory store; the file and NATS stores extend it with persistence. */
export class MemoryPipelineStore implements PipelineStore {
  readonly completeView: boolean = true;
  protected readonly images = new Map<string, PipelineImage>();
  protected readonly aliasMap = new Map<string, string>();
  protected readonly syntactic = new Map<string, string>();

  getImage(hash: string): PipelineImage | undefined {
    return this.images.get(hash);
  }

  listImages(): PipelineImage[] {
    return [...this.images.values()];
  }

  resolveAlias(name: string): string | undefined {
    return this.aliasMap.get(name);
  }

  aliases(): ReadonlyMap<string, string> {
    return this.aliasMap;
  }

  aliasesOf(hash: string): string[] {
    const out: string[] = [];
    for (const [name, h] of this.aliasMap) if (h === hash) out.push(name);
    return out.sort();
  }

  lookupSyntactic(syntacticHash: string, registryHash: string): string | undefined {
    return this.syntactic.get(`${syntacticHash}:${registryHash}`);
  }

  async fetchImage(hash: string): Promise<PipelineImage | undefined> {
    return this.images.get(hash);
  }

  async fetchAlias(name: string): Promise<string | undefined> {
    return this.aliasMap.get(name);
  }

  /** The memory store is its own authority: nothing to reload. */
  async resync(): Promise<void> {}

  async putImage(image: PipelineImage): Promise<void> {
    this.images.set(image.structuralHash, image);
    this.syntactic.set(`${image.syntacticHash}:${image.registryHash}`, image.structuralHash);
  }

  async setAlias(name: string, hash: string): Promise<void> {
    this.aliasMap.set(name, hash);
  }

  async deleteAlias(name: string): Promise<boolean> {
    return this.aliasMap.delete(name);
  }

  async deleteImage(hash: string): Promise<boolean> {
    const image = this.images.get(hash);
    if (!image) return false;
    this.images.delete(hash);
    for (const [k, v] of this.syntactic) if (v === hash) this.syntactic.delete(k);
    return true;
  }
}
