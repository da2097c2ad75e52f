import { randomBytes } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/**
 * Where the embedded stores put a file they cannot read: `<dataDir>/quarantine/<its path in the
 * data directory>.<time>-<random>.corrupt`. The file is moved, never deleted or overwritten, so
 * an operator can inspect or repair it; the store then rebuilds what it can from its other
 * files, and a later write creates a fresh file in its place (it cannot overwrite the evidence).
 */

export type Warn = (message: string, fields?: Record<string, unknown>) => void;

export class Quarantine {
  constructor(private readonly dataDir: string, private readonly warn: Warn) {}

  /**
   * Moves `path` aside and logs why, with both paths. Returns the new path (undefined when the
   * move itself failed: the file then stays where it is, and is still never loaded).
   */
  async moveAside(path: string, problem: string): Promise<string | undefined> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const target = join(this.dataDir, 'quarantine', `${relative(this.dataDir, path)}.${stamp}-${randomBytes(3).toString('hex')}.corrupt`);
    try {
      await mkdir(dirname(target), { recursive: true });
      await rename(path, target);
    } catch (e) {
      this.warn(`corrupt store file ${path} (${problem}) could not be moved aside: ${e instanceof Error ? e.message : String(e)}`, { path, problem });
      return undefined;
    }
    this.warn(`corrupt store file ${path} (${problem}): moved to ${target}`, { path, movedTo: target, problem });
    return target;
  }
}

/** The first problem of a failed parse or validation, short enough for a log line. */
export function problemOf(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
