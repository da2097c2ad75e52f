import { BroadcastChannel } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ConstellationError, isErrorCode } from '../runtime/errors.js';
import type { CancelToken, InvokeRequest, ModuleInvoker } from '../runtime/engine/spi.js';
import { decodeWire, encodeWire } from '../runtime/values/codec.js';
import type { Value } from '../runtime/values/value.js';
import { CANCEL_CHANNEL, type BatchRequest, type CancelMessage, type TaskRequest, type TaskResult, type WorkerBootData, type WorkerEvent } from './messages.js';

/**
 * The worker pool node actors dispatch module bodies to: Piscina underneath, with three
 * decisions measured in bench/ (numbers in the README):
 *
 * 1. Micro-batching across executions. A Piscina round trip costs 17–54 µs here, so a hop per
 *    module call caps throughput (uWS + one task per request: 21k req/s against 64–72k on the
 *    front). Calls that become ready during one event-loop turn — across all concurrent
 *    executions — are flushed together in `setImmediate`, split into at most one batch per
 *    worker. Results stream back per turn, so batching never delays a fast call behind a slow
 *    one. Calls of modules whose synchronous work exceeds HEAVY_MS on average go alone: for
 *    them a hop is noise, and a batch of synchronous work would hold its results until the last
 *    one ends and could not be spread over idle workers. (Async waiting does not count.)
 * 2. `atomics: 'disabled'`. Piscina's default parks idle workers in Atomics.wait, which freezes
 *    async I/O started by module code between tasks; disabled keeps worker event loops running.
 * 3. No Piscina AbortSignals: Piscina runs at most one abortable task per worker, which would
 *    serialise async modules. Cancellation goes over a BroadcastChannel instead; a worker that
 *    does not acknowledge within `terminateGraceMs` is stuck (a busy loop) and is terminated —
 *    Piscina replaces it. Calls that were running on a terminated or crashed worker through no
 *    fault of their own are re-dispatched once, each alone, so only the culprit fails.
 *
 * Measured (bench/, 2 cores): one call to a worker module in-process 0.056 ms p50 (0.0025 ms
 * on the coordinator); the 3-module composition over HTTP 18.8k req/s with the modules on the
 * pool against 47k with them on the coordinator (Moleculer: 18k); the 4 × 2 ms CPU fan-out
 * 1.91 × the throughput of the same DAG on one thread; 8 × 10 ms of async I/O on the pool at
 * 64 concurrent executions 13.0 ms p50 (10.3 ms on the coordinator).
 */

export interface WorkerPoolOptions {
  /** Worker threads (default: available parallelism, at least 1). */
  readonly threads?: number;
  /** Concurrent batches per worker (default 64): async module calls overlap. */
  readonly concurrentBatchesPerWorker?: number;
  /** How long a cancelled call's worker may take to acknowledge before it is terminated. */
  readonly terminateGraceMs?: number;
  /** Largest encoded result a call may return (default 32 MiB). */
  readonly maxResultBytes?: number;
  /** V8 heap limit per worker in MB (default 1024): a runaway module is killed, not the server. */
  readonly maxOldGenerationSizeMb?: number;
  /** Module files every worker imports at start-up (and again when it is replaced). */
  readonly preload?: readonly string[];
}

interface Pending {
  readonly task: TaskRequest;
  readonly resolve: (v: Value) => void;
  readonly reject: (e: Error) => void;
  slot: number;
  redispatched: boolean;
  cancelled: boolean;
}

const THREAD_TABLE_SLOTS = 1 << 16;

const UNSENT = -2;

/** Average synchronous time per call above which a module's calls are dispatched one per Piscina task. */
const HEAVY_MS = 1;

export class WorkerPool implements ModuleInvoker {
  readonly piscina: Piscina;
  private readonly pending = new Map<number, Pending>();
  private queue: Pending[] = [];
  private flushScheduled = false;
  private nextTaskId = 1;
  private nextBatchId = 1;
  /** Unused slots of the thread table. */
  private readonly freeSlots: number[] = Array.from({ length: THREAD_TABLE_SLOTS }, (_, i) => THREAD_TABLE_SLOTS - 1 - i);
  private readonly threadTable: Int32Array;
  private readonly cancelTable: Int32Array;
  private readonly cancelChannel = new BroadcastChannel(CANCEL_CHANNEL);
  /** cancellation seq → threads that answered it */
  private readonly answers = new Map<number, Set<number>>();
  private cancelSeq = 0;
  private readonly threads: number;
  /** Exponentially weighted average synchronous time per module call (ms), as the workers measure it. */
  private readonly cost = new Map<string, number>();
  private readonly graceMs: number;
  private closed = false;
  /** Counters for /metrics and tests. */
  readonly stats = { batches: 0, tasks: 0, streamedResults: 0, terminations: 0, crashes: 0, redispatched: 0 };

  constructor(options: WorkerPoolOptions = {}) {
    this.threads = Math.max(1, options.threads ?? availableParallelism());
    this.graceMs = options.terminateGraceMs ?? 250;
    const shared = new SharedArrayBuffer(THREAD_TABLE_SLOTS * 4);
    this.threadTable = new Int32Array(shared);
    const cancelShared = new SharedArrayBuffer(THREAD_TABLE_SLOTS * 4);
    this.cancelTable = new Int32Array(cancelShared);
    const boot: WorkerBootData = { threadTable: shared, cancelTable: cancelShared, maxResultBytes: options.maxResultBytes ?? 32 * 1024 * 1024, preload: options.preload ?? [] };
    this.piscina = new Piscina({
      // a CommonJS entry that imports worker.js: see worker-entry.cts
      filename: fileURLToPath(new URL('./worker-entry.cjs', import.meta.url)),
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: options.concurrentBatchesPerWorker ?? 64,
      atomics: 'disabled',
      workerData: boot,
      resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb ?? 1024 },
    });
    this.piscina.on('message', (event: WorkerEvent) => this.onWorkerEvent(event));
    // Errors of crashed workers reach the batches that ran on them; nothing else to report.
    this.piscina.on('error', () => {});
    (this.cancelChannel as unknown as { unref?: () => void }).unref?.();
  }

  get threadCount(): number {
    return this.threads;
  }

  /** Share of the pool's capacity in use lately (0–1; Piscina's utilisation). */
  get utilisation(): number {
    return this.piscina.utilization;
  }

  invoke(request: InvokeRequest, token: CancelToken): Promise<Value> {
    if (this.closed) return Promise.reject(new ConstellationError('ShuttingDown', 'The worker pool is closed'));
    return new Promise<Value>((resolve, reject) => {
      const task: TaskRequest = { id: this.nextTaskId++, moduleId: request.moduleId, file: request.file, args: request.args, attempt: request.attempt, executionId: request.executionId };
      const p: Pending = { task, resolve, reject, slot: UNSENT, redispatched: false, cancelled: false };
      this.pending.set(task.id, p);
      if (token.cancelled) {
        this.pending.delete(task.id);
        reject(token.reason instanceof Error ? token.reason : new ConstellationError('Cancelled', 'cancelled'));
        return;
      }
      token.onCancel((reason) => this.cancel(p, reason));
      this.enqueue(p);
    });
  }

  private enqueue(p: Pending): void {
    this.queue.push(p);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends what became ready this turn: at most one batch per worker thread, round-robin. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    const ready: Pending[] = [];
    for (const p of this.queue) {
      if (p.cancelled) continue;
      if ((this.cost.get(p.task.moduleId) ?? 0) > HEAVY_MS) this.send([p]);
      else ready.push(p);
    }
    this.queue = [];
    if (ready.length === 0) return;
    const chunks = Math.min(this.threads, ready.length);
    const batches: Pending[][] = Array.from({ length: chunks }, () => []);
    ready.forEach((p, i) => batches[i % chunks]!.push(p));
    for (const b of batches) this.send(b);
  }

  /** `isolated`: the batch runs on a worker of its own (see batchFailed). */
  private send(members: Pending[], isolated = false): void {
    // A slot stays with its batch until the batch ends, so a long call's slot is never reused
    // (and its thread never mistaken). Out of slots (65 536 batches in flight): -1, not killable.
    const slot = this.freeSlots.pop() ?? -1;
    if (slot >= 0) Atomics.store(this.threadTable, slot, 0);
    for (const p of members) p.slot = slot;
    const batch: BatchRequest = { batchId: this.nextBatchId++, slot, tasks: members.map((p) => p.task) };
    this.stats.batches++;
    this.stats.tasks += members.length;
    const payload = encodeWire(batch);
    // Piscina places an abortable task only on an idle worker and puts nothing beside it; the
    // signal never fires (cancellation still goes over the BroadcastChannel).
    const options = isolated ? { transferList: [payload.buffer as ArrayBuffer], signal: new AbortController().signal } : { transferList: [payload.buffer as ArrayBuffer] };
    const release = () => {
      if (slot >= 0) this.freeSlots.push(slot);
    };
    this.piscina.run(payload, options).then(
      (bytes: Uint8Array) => {
        release();
        try {
          this.deliver(decodeWire(bytes) as TaskResult[]);
        } catch (e) {
          this.batchFailed(members, e);
        }
      },
      (error: unknown) => {
        release();
        this.batchFailed(members, error);
      },
    );
  }

  private onWorkerEvent(event: WorkerEvent): void {
    if (!event || typeof event !== 'object') return;
    if (event.kind === 'constellation:results') {
      let results: TaskResult[];
      try {
        results = decodeWire(event.payload) as TaskResult[];
      } catch {
        return; // the batch's final reply (or its failure) still settles these calls
      }
      this.stats.streamedResults += results.length;
      this.deliver(results);
    } else if (event.kind === 'constellation:cancelled') {
      this.answers.get(event.seq)?.add(event.threadId);
    }
  }

  private deliver(results: readonly TaskResult[]): void {
    for (const r of results) {
      const p = this.pending.get(r.id);
      if (!p) continue;
      this.pending.delete(r.id);
      const previous = this.cost.get(p.task.moduleId);
      this.cost.set(p.task.moduleId, previous === undefined ? r.cpu : previous * 0.8 + r.cpu * 0.2);
      if (r.ok) p.resolve(r.value);
      // the code crossed a thread boundary: only registered codes pass
      else p.reject(new ConstellationError(isErrorCode(r.code) ? r.code : 'ModuleFailed', r.message));
    }
  }

  /** A worker died (crash, exit, out of memory, or terminated by us): fail or re-dispatch its calls. */
  private batchFailed(members: readonly Pending[], error: unknown): void {
    this.stats.crashes++;
    const message = error instanceof Error ? error.message : String(error);
    for (const p of members) {
      if (!this.pending.has(p.task.id)) continue;
      if (p.cancelled) {
        this.pending.delete(p.task.id);
        continue;
      }
      if (!p.redispatched && !this.closed) {
        // maybe a bystander of another call's crash: run it again, alone on a worker — alone in a
        // batch is not enough, two re-dispatched batches could share a worker and crash together
        p.redispatched = true;
        this.stats.redispatched++;
        this.send([p], true);
        continue;
      }
      this.pending.delete(p.task.id);
      p.reject(new ConstellationError('WorkerCrashed', `The worker thread running ${p.task.moduleId} died: ${message}`));
    }
  }

  private cancel(p: Pending, reason: unknown): void {
    if (!this.pending.has(p.task.id)) return;
    p.cancelled = true;
    this.pending.delete(p.task.id);
    p.reject(reason instanceof Error ? reason : new ConstellationError('Cancelled', 'cancelled'));
    if (p.slot === UNSENT) return; // not sent yet: flush drops it
    // A batch that has not started yet skips the call (the worker checks this cell first): a
    // broadcast can reach a worker before it runs the batch, or before its channel even exists,
    // and would then be lost. The cell holds the task id, so a later task sharing it is unaffected.
    Atomics.store(this.cancelTable, p.task.id & (THREAD_TABLE_SLOTS - 1), p.task.id & 0x7fffffff);
    if (p.slot < 0) return;
    const tid = Atomics.load(this.threadTable, p.slot);
    if (tid === 0) return; // not started: nothing runs, nothing to terminate
    const seq = ++this.cancelSeq;
    this.answers.set(seq, new Set());
    const message: CancelMessage = { kind: 'cancel', seq, ids: [p.task.id] };
    this.cancelChannel.postMessage(message);
    const timer = setTimeout(() => {
      const answered = this.answers.get(seq)!;
      this.answers.delete(seq);
      if (answered.has(tid)) return; // responsive
      // no answer: the worker's event loop is blocked (a busy loop) — replace it
      const worker = this.piscina.threads.find((t) => t.threadId === tid);
      if (worker) {
        this.stats.terminations++;
        void worker.terminate();
      }
    }, this.graceMs);
    timer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new ConstellationError('ShuttingDown', 'The worker pool is closing'));
    this.pending.clear();
    this.cancelChannel.close();
    await this.piscina.destroy();
  }
}
