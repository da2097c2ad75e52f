import { join } from 'node:path';
import { z } from 'zod';
import { readFileIfExists, writeFileAtomic } from '../../server/stores/atomic-file.js';

/**
 * Pipeline versions (http-api.md §5): per alias an ordered list of versions and one active
 * version. Persisted under the data directory (`pipelines/versions.json`) when one is given.
 * DECISIONS.md #17: a named compile of an unchanged source adds no version; #20: the active
 * version is the one the alias points to.
 */

export interface PipelineVersion {
  readonly version: number;
  readonly structuralHash: string;
  readonly createdAt: string;
  readonly source: string | null;
}

interface Entry {
  versions: PipelineVersion[];
  active: number;
}

const fileSchema = z.record(
  z.string(),
  z.object({
    active: z.number().int().min(0),
    versions: z.array(z.object({ version: z.number().int().min(1), structuralHash: z.string(), createdAt: z.string(), source: z.string().nullable() })),
  }),
);

export class VersionStore {
  private readonly entries = new Map<string, Entry>();
  private writes: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string | null) {}

  static async open(dataDir: string | null, warn: (m: string) => void = () => {}): Promise<VersionStore> {
    const store = new VersionStore(dataDir ? join(dataDir, 'pipelines', 'versions.json') : null);
    if (store.path) {
      const text = await readFileIfExists(store.path);
      if (text !== undefined) {
        try {
          for (const [name, e] of Object.entries(fileSchema.parse(JSON.parse(text)))) store.entries.set(name, { active: e.active, versions: e.versions });
        } catch (e) {
          warn(`version store: ignoring corrupt versions.json: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
    return store;
  }

  private persist(): Promise<void> {
    if (!this.path) return Promise.resolve();
    const snapshot = JSON.stringify(Object.fromEntries(this.entries));
    const path = this.path;
    const next = this.writes.then(() => writeFileAtomic(path, snapshot));
    this.writes = next.catch(() => {});
    return next;
  }

  list(name: string): readonly PipelineVersion[] {
    return this.entries.get(name)?.versions ?? [];
  }

  active(name: string): PipelineVersion | undefined {
    const e = this.entries.get(name);
    return e?.versions.find((v) => v.version === e.active);
  }

  activeNumber(name: string): number {
    return this.entries.get(name)?.active ?? 0;
  }

  get(name: string, version: number): PipelineVersion | undefined {
    return this.entries.get(name)?.versions.find((v) => v.version === version);
  }

  /** Appends a version (max + 1); `activate` makes it the active one. */
  async record(name: string, structuralHash: string, source: string | null, activate = true): Promise<PipelineVersion> {
    const e = this.entries.get(name) ?? { versions: [], active: 0 };
    const version: PipelineVersion = {
      version: e.versions.reduce((m, v) => Math.max(m, v.version), 0) + 1,
      structuralHash,
      createdAt: new Date().toISOString(),
      source,
    };
    e.versions.push(version);
    if (activate) e.active = version.version;
    this.entries.set(name, e);
    await this.persist();
    return version;
  }

  async activate(name: string, version: number): Promise<void> {
    const e = this.entries.get(name);
    if (!e || !e.versions.some((v) => v.version === version)) return;
    e.active = version;
    await this.persist();
  }
}
