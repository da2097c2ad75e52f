import type { ExecutionStorage, ExecutionStorageStats, StoredExecution } from '../engine/spi.js';

/**
 * The in-memory execution history (ExecutionStorage): at most `capacity`
 * executions, oldest evicted first; any input, output or node value whose JSON exceeds
 * `maxValueBytes` is replaced by `"<truncated: N bytes>"`.
 */
export class MemoryExecutionStorage implements ExecutionStorage {
  private readonly items = new Map<string, StoredExecution>();

  constructor(private readonly capacity = 1000, private readonly maxValueBytes = 10 * 1024) {}

  private truncate(value: unknown): unknown {
    const text = JSON.stringify(value);
    if (text === undefined) return value;
    const bytes = Buffer.byteLength(text);
    return bytes > this.maxValueBytes ? `<truncated: ${bytes} bytes>` : value;
  }

  private truncateRecord(record: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> | undefined {
    if (!record) return undefined;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) out[k] = this.truncate(v);
    return out;
  }

  private normalise(e: StoredExecution): StoredExecution {
    const nodeResults: Record<string, StoredExecution['nodeResults'][string]> = {};
    for (const [id, r] of Object.entries(e.nodeResults)) nodeResults[id] = r.value === undefined ? r : { ...r, value: this.truncate(r.value) };
    const outputs = this.truncateRecord(e.outputs);
    return { ...e, inputs: this.truncateRecord(e.inputs) ?? {}, ...(outputs ? { outputs } : {}), nodeResults };
  }

  async store(execution: StoredExecution): Promise<string> {
    this.items.delete(execution.executionId);
    this.items.set(execution.executionId, this.normalise(execution));
    while (this.items.size > this.capacity) this.items.delete(this.items.keys().next().value as string);
    return execution.executionId;
  }

  async get(executionId: string): Promise<StoredExecution | undefined> {
    return this.items.get(executionId);
  }

  private newestFirst(): StoredExecution[] {
    return [...this.items.values()].sort((a, b) => b.startTime - a.startTime);
  }

  async list(limit: number, offset: number): Promise<StoredExecution[]> {
    return this.newestFirst().slice(Math.max(0, offset), Math.max(0, offset) + Math.max(0, limit));
  }

  async listByScript(scriptPath: string, limit: number): Promise<StoredExecution[]> {
    return this.newestFirst().filter((e) => e.scriptPath !== undefined && e.scriptPath.includes(scriptPath)).slice(0, Math.max(0, limit));
  }

  async update(executionId: string, change: (current: StoredExecution) => StoredExecution): Promise<StoredExecution | undefined> {
    const current = this.items.get(executionId);
    if (!current) return undefined;
    const next = this.normalise(change(current));
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
    let running = 0;
    let completed = 0;
    let failed = 0;
    let oldest: number | null = null;
    let newest: number | null = null;
    for (const e of this.items.values()) {
      if (e.status === 'Running') running++;
      else if (e.status === 'Completed') completed++;
      else failed++;
      oldest = oldest === null ? e.startTime : Math.min(oldest, e.startTime);
      newest = newest === null ? e.startTime : Math.max(newest, e.startTime);
    }
    return { totalExecutions: this.items.size, running, completed, failed, oldestExecutionTime: oldest, newestExecutionTime: newest, maxCapacity: this.capacity };
  }
}
