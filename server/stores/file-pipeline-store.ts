import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import { imageSchema, isHash, MemoryPipelineStore, type PipelineImage } from '../../runtime/stores/pipeline-store.js';

/**
 * The embedded pipeline store: `<dataDir>/pipelines/images/<hash>.json` and `aliases.json`
 * (the reference's layout; its `syntactic-index.json` is not needed: the index is rebuilt from
 * the images), written atomically; everything is loaded into memory at start-up so reads stay
 * synchronous. Stray temporary files are removed; a
 * corrupt file is skipped with a warning and never loaded; only hex hashes become file names.
 */

const aliasesSchema = z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/));

export class FilePipelineStore extends MemoryPipelineStore {
  private readonly dir: string;
  private writes: Promise<void> = Promise.resolve();

  private constructor(dataDir: string, private readonly warn: (message: string) => void) {
    super();
    this.dir = join(dataDir, 'pipelines');
  }

  static async open(dataDir: string, warn: (message: string) => void = () => {}): Promise<FilePipelineStore> {
    const store = new FilePipelineStore(dataDir, warn);
    await store.load();
    return store;
  }

  /** Re-reads the directory (another process wrote it, or a restore): the view becomes the files. */
  override async resync(): Promise<void> {
    await this.writes;
    this.images.clear();
    this.aliasMap.clear();
    this.syntactic.clear();
    await this.load();
  }

  private async load(): Promise<void> {
    const imagesDir = join(this.dir, 'images');
    await mkdir(imagesDir, { recursive: true });
    for (const name of await readdir(imagesDir)) {
      const path = join(imagesDir, name);
      if (name.endsWith('.tmp')) {
        await rm(path, { force: true });
        continue;
      }
      if (!name.endsWith('.json') || !isHash(name.slice(0, -5))) continue;
      try {
        const parsed = imageSchema.safeParse(JSON.parse((await readFileIfExists(path)) ?? 'null'));
        if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid image');
        const image = parsed.data as unknown as PipelineImage;
        if (image.structuralHash !== name.slice(0, -5)) throw new Error('file name and hash differ');
        await super.putImage(image);
      } catch (e) {
        this.warn(`pipeline store: skipping corrupt image ${name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    for (const stray of await readdir(this.dir)) if (stray.endsWith('.tmp')) await rm(join(this.dir, stray), { force: true });
    const aliasText = await readFileIfExists(join(this.dir, 'aliases.json'));
    if (aliasText !== undefined) {
      try {
        const aliases = aliasesSchema.parse(JSON.parse(aliasText));
        for (const [name, hash] of Object.entries(aliases)) if (this.images.has(hash)) this.aliasMap.set(name, hash);
      } catch (e) {
        this.warn(`pipeline store: ignoring corrupt aliases.json: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** Serialises writes so concurrent requests never interleave partial snapshots of one file. */
  private enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.writes.then(write, write);
    this.writes = next.catch(() => {});
    return next;
  }

  private saveAliases(): Promise<void> {
    const snapshot = JSON.stringify(Object.fromEntries(this.aliasMap), null, 1);
    return this.enqueue(() => writeFileAtomic(join(this.dir, 'aliases.json'), snapshot));
  }

  override async putImage(image: PipelineImage): Promise<void> {
    if (!isHash(image.structuralHash)) throw new Error(`invalid structural hash '${image.structuralHash}'`);
    // durable first, visible second: a failed write leaves nothing behind that would vanish on restart
    if (!this.images.has(image.structuralHash)) await this.enqueue(() => writeFileAtomic(join(this.dir, 'images', `${image.structuralHash}.json`), JSON.stringify(image)));
    await super.putImage(image);
  }

  override async setAlias(name: string, hash: string): Promise<void> {
    await super.setAlias(name, hash);
    await this.saveAliases();
  }

  override async deleteAlias(name: string): Promise<boolean> {
    const removed = await super.deleteAlias(name);
    if (removed) await this.saveAliases();
    return removed;
  }

  override async deleteImage(hash: string): Promise<boolean> {
    const removed = await super.deleteImage(hash);
    if (removed && isHash(hash)) await this.enqueue(() => rm(join(this.dir, 'images', `${hash}.json`), { force: true }));
    return removed;
  }
}
