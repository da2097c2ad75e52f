import type { ExecutionStorage, ExecutionStorageStats, StoredExecution } from '../engine/spi.js';

/** How many executions a history keeps by default (`CONSTELLATION_MAX_EXECUTIONS`). */
export const DEFAULT_HISTORY_CAPACITY = 1000;
/** A stored input, output or node value whose JSON is larger than this is replaced by a marker. */
export const DEFAULT_MAX_VALUE_BYTES = 10 * 1024;

function truncate(value: unknown, maxValueBytes: number): unknown {
  const text = JSON.stringify(value);
  if (text === undefined) return value;
  const bytes = Buffer.byteLength(text);
  return bytes > maxValueBytes ? `<truncated: ${bytes} bytes>` : value;
}

function truncateRecord(record: Readonly<Record<string, unknown>> | undefined, maxValueBytes: number): Record<string, unknown> | undefined {
  if (!record) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) out[k] = truncate(v, maxValueBytes);
  return out;
}

/**
 * The execution as a history keeps it: any input, output or node value whose JSON exceeds
 * `maxValueBytes` is replaced by `"<truncated: N bytes>"` (every ExecutionStorage does this, so
 * a record reads the same whichever store holds it).
 */
export function truncateExecution(e: StoredExecution, maxValueBytes = DEFAULT_MAX_VALUE_BYTES): StoredExecution {
  const nodeResults: Record<string, StoredExecution['nodeResults'][string]> = {};
  for (const [id, r] of Object.entries(e.nodeResults)) nodeResults[id] = r.value === undefined ? r : { ...r, value: truncate(r.value, maxValueBytes) };
  const outputs = truncateRecord(e.outputs, maxValueBytes);
  return { ...e, inputs: truncateRecord(e.inputs, maxValueBytes) ?? {}, ...(outputs ? { outputs } : {}), nodeResults };
}

/**
 * Newest first by start time. Sorts are stable: give the executions most recently stored last
 * and reverse them first, so runs that started in the same millisecond list the later one first.
 */
export function newestFirst(a: StoredExecution, b: StoredExecution): number {
  return b.startTime - a.startTime;
}

/** The executions whose `scriptPath` contains `scriptPath` (a filter box's text). */
export function matchesScript(e: StoredExecution, scriptPath: string): boolean {
  return e.scriptPath !== undefined && e.scriptPath.includes(scriptPath);
}

/** A page of a newest-first list (negative numbers count as 0). */
export function page<T>(items: readonly T[], limit: number, offset: number): T[] {
  const start = Math.max(0, offset);
  return items.slice(start, start + Math.max(0, limit));
}

/** Counts by status and the time span of a history's executions. */
export function historyStats(executions: Iterable<StoredExecution>, capacity: number): ExecutionStorageStats {
  let total = 0;
  let running = 0;
  let completed = 0;
  let failed = 0;
  let oldest: number | null = null;
  let newest: number | null = null;
  for (const e of executions) {
    total++;
    if (e.status === 'Running') running++;
    else if (e.status === 'Completed') completed++;
    else failed++;
    oldest = oldest === null ? e.startTime : Math.min(oldest, e.startTime);
    newest = newest === null ? e.startTime : Math.max(newest, e.startTime);
  }
  return { totalExecutions: total, running, completed, failed, oldestExecutionTime: oldest, newestExecutionTime: newest, maxCapacity: capacity };
}

/**
 * The in-memory execution history (ExecutionStorage) of a single instance: at most `capacity`
 * executions, oldest evicted first; values truncated as `truncateExecution` says.
 */
export class MemoryExecutionStorage implements ExecutionStorage {
  private readonly items = new Map<string, StoredExecution>();

  constructor(private readonly capacity = DEFAULT_HISTORY_CAPACITY, private readonly maxValueBytes = DEFAULT_MAX_VALUE_BYTES) {}

  async store(execution: StoredExecution): Promise<string> {
    this.items.delete(execution.executionId);
    this.items.set(execution.executionId, truncateExecution(execution, this.maxValueBytes));
    while (this.items.size > this.capacity) this.items.delete(this.items.keys().next().value as string);
    return execution.executionId;
  }

  async get(executionId: string): Promise<StoredExecution | undefined> {
    return this.items.get(executionId);
  }

  private sorted(): StoredExecution[] {
    return [...this.items.values()].reverse().sort(newestFirst);
  }

  async list(limit: number, offset: number): Promise<StoredExecution[]> {
    return page(this.sorted(), limit, offset);
  }

  async listByScript(scriptPath: string, limit: number): Promise<StoredExecution[]> {
    return page(this.sorted().filter((e) => matchesScript(e, scriptPath)), limit, 0);
  }

  async update(executionId: string, change: (current: StoredExecution) => StoredExecution): Promise<StoredExecution | undefined> {
    const current = this.items.get(executionId);
    if (!current) return undefined;
    const next = truncateExecution(change(current), this.maxValueBytes);
    this.items.set(executionId, next);
    return next;
  }

  async delete(executionId: string): Promise<boolean> {
    return this.items.delete(executionId);
  }

  async clear(): Promise<void> {
    this.items.clear();
  }

  async stats(): Promise<ExecutionStorageStats> {
    return historyStats(this.items.values(), this.capacity);
  }
}
