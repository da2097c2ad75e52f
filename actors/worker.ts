import { BroadcastChannel, parentPort, threadId, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { ConstellationError } from '../runtime/errors.js';
import { callModule, prepare, sleep, type PreparedModule } from '../runtime/modules/call.js';
import { decodeWire, encodeWire } from '../runtime/values/codec.js';
import { Piscina } from 'piscina';
import { modulesOf } from './module-loader.js';
import { CANCEL_CHANNEL, type BatchRequest, type CancelMessage, type TaskRequest, type TaskResult, type WorkerBootData, type WorkerEvent } from './messages.js';

/**
 * The worker side of a node actor: Piscina runs `runBatch` for every batch of module calls.
 * Tasks of a batch run concurrently (async modules overlap); results of tasks that finish while
 * the batch is still running are streamed back at once (one message per event-loop turn), so a
 * slow task never holds back a fast one. The rest return with the batch.
 *
 * Module files are imported on first use and cached; per-module state (`createState`) is per
 * worker thread.
 */

const boot = (workerData ?? {}) as Partial<WorkerBootData>;
const threadTable = boot.threadTable ? new Int32Array(boot.threadTable) : undefined;
const cancelTable = boot.cancelTable ? new Int32Array(boot.cancelTable) : undefined;
const maxResultBytes = boot.maxResultBytes ?? 32 * 1024 * 1024;

const loaded = new Map<string, Promise<Map<string, { prepared: PreparedModule; state: unknown }>>>();
const controllers = new Map<number, AbortController>();

const cancel = new BroadcastChannel(CANCEL_CHANNEL);
cancel.onmessage = (event: unknown) => {
  const msg = (event as { data: CancelMessage }).data;
  if (!msg || msg.kind !== 'cancel') return;
  const aborted: number[] = [];
  for (const id of msg.ids) {
    const c = controllers.get(id);
    if (c) {
      c.abort(new ConstellationError('Cancelled', 'the call was cancelled'));
      aborted.push(id);
    }
  }
  // every worker answers, owner or not: the answer proves its event loop is not blocked
  post({ kind: 'constellation:cancelled', threadId, seq: msg.seq, ids: aborted });
};
// The channel must not keep an idle worker alive.
(cancel as unknown as { unref?: () => void }).unref?.();

function post(event: WorkerEvent, transfer?: ArrayBuffer[]): void {
  parentPort?.postMessage(event, transfer ?? []);
}

for (const file of boot.preload ?? []) void loadFile(file).catch(() => {});


function loadFile(file: string) {
  let p = loaded.get(file);
  if (!p) {
    p = import(pathToFileURL(file).href).then((ns: Record<string, unknown>) => {
      const out = new Map<string, { prepared: PreparedModule; state: unknown }>();
      for (const m of modulesOf(ns)) if (!out.has(m.id)) out.set(m.id, { prepared: prepare(m), state: m.createState?.() });
      return out;
    });
    loaded.set(file, p);
    p.catch(() => loaded.delete(file));
  }
  return p;
}

async function runTask(task: TaskRequest): Promise<TaskResult> {
  const started = performance.now();
  // cancelled before its batch started here (the broadcast may have come too early): skip it
  if (cancelTable && Atomics.load(cancelTable, task.id & (cancelTable.length - 1)) === (task.id & 0x7fffffff)) {
    return { id: task.id, ok: false, code: 'Cancelled', message: 'the call was cancelled', ms: 0, cpu: 0 };
  }
  const controller = new AbortController();
  controllers.set(task.id, controller);
  let cpu = 0;
  try {
    const modules = await loadFile(task.file);
    const entry = modules.get(task.moduleId);
    if (!entry) throw new ConstellationError('ModuleNotFound', `Module '${task.moduleId}' is not exported by ${task.file}`);
    // cancelled while the module file was loading
    if (controller.signal.aborted) throw controller.signal.reason;
    const t0 = performance.now();
    const pending = callModule(entry.prepared, task.args, {
      signal: controller.signal,
      attempt: task.attempt,
      executionId: task.executionId,
      state: entry.state,
      sleep: (ms) => sleep(ms, controller.signal),
    });
    cpu = performance.now() - t0;
    const value = await pending;
    return { id: task.id, ok: true, value, ms: performance.now() - started, cpu };
  } catch (e) {
    const code = e instanceof ConstellationError ? e.code : 'ModuleFailed';
    const message = e instanceof Error ? e.message || e.name : String(e);
    return { id: task.id, ok: false, code, message, ms: performance.now() - started, cpu };
  } finally {
    controllers.delete(task.id);
  }
}

/** Encodes results, replacing any that exceeds the size limit by an error (one bad result must not sink the batch). */
function encodeResults(results: TaskResult[]): Uint8Array {
  const bytes = encodeWire(results);
  if (bytes.byteLength <= maxResultBytes) return bytes;
  const checked = results.map((r): TaskResult => {
    if (!r.ok) return r;
    const size = encodeWire(r.value).byteLength;
    return size > maxResultBytes ? { id: r.id, ok: false, code: 'ResultTooLarge', message: `The module returned ${size} bytes, more than the limit of ${maxResultBytes}`, ms: r.ms, cpu: r.cpu } : r;
  });
  return encodeWire(checked);
}

export default async function runBatch(payload: Uint8Array): Promise<Uint8Array> {
  const batch = decodeWire(payload) as BatchRequest;
  if (threadTable && batch.slot >= 0) Atomics.store(threadTable, batch.slot, threadId);
  let batchDone = false;
  let outbox: TaskResult[] = [];
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (batchDone || outbox.length === 0) return;
    const bytes = encodeResults(outbox);
    outbox = [];
    post({ kind: 'constellation:results', payload: bytes }, [bytes.buffer as ArrayBuffer]);
  };
  await Promise.all(
    batch.tasks.map((task) =>
      runTask(task).then((r) => {
        if (batchDone) return r;
        outbox.push(r);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
        return r;
      }),
    ),
  );
  batchDone = true;
  const bytes = encodeResults(outbox);
  outbox = [];
  // transfer, not copy, the encoded results back
  return Piscina.move(bytes) as unknown as Uint8Array;
}
