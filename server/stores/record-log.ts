import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';
import { problemOf, type Quarantine } from './quarantine.js';

/**
 * An append-only index of keyed records beside a store's files: one JSON line per change
 * (`{"k":key,"v":value}` sets a record, `{"k":key}` removes it). It is how start-up learns what
 * the store holds (image summaries, execution summaries) without reading every file; the files
 * stay the truth, and the store reconciles the two at start-up (a file without a record is read
 * once, a record without a file is dropped).
 *
 * Appends and rewrites run one at a time, in order. The log is rewritten (atomically) when it
 * has grown to twice its live records plus a thousand lines, so it stays proportional to what is
 * stored. A torn last line (a crash during an append) is ignored; any other unreadable line
 * makes the whole file corrupt: it is moved aside (kept for inspection) and rebuilt.
 */

export interface OpenedLog<T> {
  readonly log: RecordLog<T>;
  /** The records the file holds (valid lines only). */
  readonly records: Map<string, T>;
  /** False when the file was missing, torn or corrupt: the caller reconciles and then `rewrite()`s. */
  readonly clean: boolean;
}

const SLACK_LINES = 1000;

export class RecordLog<T> {
  private writes: Promise<void> = Promise.resolve();
  private lines: number;
  private compacting = false;

  private constructor(
    private readonly path: string,
    private readonly live: () => Iterable<readonly [string, T]>,
    private readonly liveCount: () => number,
    lines: number,
  ) {
    this.lines = lines;
  }

  /**
   * Reads the log at `path`. `live` gives the store's current records (for rewrites), `count`
   * their number. Validation failures are reported through `quarantine`.
   */
  static async open<T>(path: string, schema: z.ZodType<T>, quarantine: Quarantine, live: () => Iterable<readonly [string, T]>, count: () => number): Promise<OpenedLog<T>> {
    const text = await readFileIfExists(path);
    const records = new Map<string, T>();
    if (text === undefined) return { log: new RecordLog(path, live, count, 0), records, clean: false };
    const lines = text.split('\n');
    const torn = !text.endsWith('\n') && text.length > 0;
    let corrupt: string | undefined;
    lines.forEach((line, i) => {
      if (line.length === 0 || corrupt !== undefined) return;
      const last = i === lines.length - 1;
      try {
        const entry = JSON.parse(line) as { k?: unknown; v?: unknown };
        if (typeof entry !== 'object' || entry === null || typeof entry.k !== 'string') throw new Error('not a record');
        if (entry.v === undefined) {
          records.delete(entry.k);
          return;
        }
        const parsed = schema.safeParse(entry.v);
        if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid record');
        records.set(entry.k, parsed.data);
      } catch (e) {
        // an append cut short by a crash is expected; anything else is damage
        if (!(last && torn)) corrupt = `line ${i + 1}: ${problemOf(e)}`;
      }
    });
    if (corrupt !== undefined) await quarantine.moveAside(path, corrupt);
    return { log: new RecordLog(path, live, count, lines.length), records, clean: corrupt === undefined && !torn };
  }

  set(key: string, value: T): Promise<void> {
    return this.append(JSON.stringify({ k: key, v: value }) + '\n');
  }

  remove(key: string): Promise<void> {
    return this.append(JSON.stringify({ k: key }) + '\n');
  }

  /** Replaces the file with the live records (start-up reconciliation, compaction). */
  rewrite(): Promise<void> {
    return this.enqueue(async () => {
      let text = '';
      let n = 0;
      for (const [key, value] of this.live()) {
        text += JSON.stringify({ k: key, v: value }) + '\n';
        n++;
      }
      await writeFileAtomic(this.path, text);
      this.lines = n;
    });
  }

  /** Resolves when every write queued so far is on disk. */
  flushed(): Promise<void> {
    return this.writes;
  }

  private append(line: string): Promise<void> {
    const done = this.enqueue(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, line);
      this.lines++;
    });
    if (!this.compacting && this.lines > 2 * this.liveCount() + SLACK_LINES) {
      this.compacting = true;
      void this.rewrite()
        .catch(() => {})
        .finally(() => (this.compacting = false));
    }
    return done;
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.writes.then(write, write);
    this.writes = next.catch(() => {});
    return next;
  }
}
