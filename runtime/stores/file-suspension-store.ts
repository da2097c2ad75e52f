import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  LocalClaims, matches, snapshotSchema, summarise,
  type ExecutionSnapshot, type ResumeClaim, type SuspensionFilter, type SuspensionStore, type SuspensionSummary,
} from '../engine/suspension.js';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';

/**
 * The embedded suspension store: one JSON file per execution under `<dataDir>/executions/`,
 * written atomically, validated with zod when read back. Survives a restart of the process.
 * A file that fails validation is reported as missing (and left for inspection), never loaded.
 */

const ID = /^[A-Za-z0-9_-]{1,128}$/;

export class FileSuspensionStore implements SuspensionStore {
  private readonly dir: string;
  private readonly claims = new LocalClaims();

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'executions');
  }

  private path(executionId: string): string | undefined {
    return ID.test(executionId) ? join(this.dir, `${executionId}.json`) : undefined;
  }

  async save(snapshot: ExecutionSnapshot): Promise<void> {
    const path = this.path(snapshot.executionId);
    if (!path) throw new Error(`invalid execution id '${snapshot.executionId}'`);
    await writeFileAtomic(path, JSON.stringify(snapshotSchema.parse(snapshot)));
  }

  async load(executionId: string): Promise<ExecutionSnapshot | undefined> {
    const path = this.path(executionId);
    if (!path) return undefined;
    const text = await readFileIfExists(path);
    if (text === undefined) return undefined;
    try {
      const parsed = snapshotSchema.safeParse(JSON.parse(text));
      return parsed.success ? (parsed.data as ExecutionSnapshot) : undefined;
    } catch {
      return undefined;
    }
  }

  async delete(executionId: string): Promise<boolean> {
    const path = this.path(executionId);
    if (!path) return false;
    const existed = (await readFileIfExists(path)) !== undefined;
    await rm(path, { force: true });
    return existed;
  }

  async list(filter?: SuspensionFilter): Promise<SuspensionSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: SuspensionSummary[] = [];
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const s = await this.load(name.slice(0, -5));
      if (s && matches(s, filter)) out.push(summarise(s));
    }
    return out.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  async claim(executionId: string): Promise<ResumeClaim | undefined> {
    return this.claims.claim(executionId);
  }
}
