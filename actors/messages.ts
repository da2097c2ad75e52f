import type { Value } from '../runtime/values/value.js';
import type { ErrorCode } from '../runtime/error-codes.js';

/**
 * Everything that crosses the thread boundary between the coordinator and the pool's workers
 * (as Piscina teaches: one file of typed messages both sides import, nothing else crosses).
 * Payloads travel msgpackr-encoded (runtime/values/codec.ts) with a format-version byte.
 */

/** One module call. */
export interface TaskRequest {
  readonly id: number;
  readonly moduleId: string;
  /** Module file the worker imports (once) to find `moduleId`. */
  readonly file: string;
  readonly args: readonly Value[];
  readonly attempt: number;
  readonly executionId: string;
}

/**
 * A Piscina task: several module calls that became ready in the same event-loop turn. The task
 * returns the msgpackr bytes of the `TaskResult[]` not streamed earlier.
 */
export interface BatchRequest {
  readonly batchId: number;
  /** Slot in the shared thread table where the worker writes its threadId (see pool.ts). */
  readonly slot: number;
  readonly tasks: readonly TaskRequest[];
}

/**
 * `ms`: wall time of the call; `cpu`: the synchronous part of it (until the module's first
 * await), which is what blocks a worker and decides whether the module's calls are batched.
 */
export type TaskResult =
  | { readonly id: number; readonly ok: true; readonly value: Value; readonly ms: number; readonly cpu: number }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly ms: number; readonly cpu: number };

/** Worker → coordinator events (Piscina re-emits worker `parentPort` messages on the pool). */
export type WorkerEvent =
  /** results of tasks that finished while their batch was still running (msgpackr bytes of TaskResult[]) */
  | { readonly kind: 'constellation:results'; readonly payload: Uint8Array }
  /** the worker received cancellation `seq` (so its event loop is responsive) and aborted these tasks */
  | { readonly kind: 'constellation:cancelled'; readonly threadId: number; readonly seq: number; readonly ids: readonly number[] };

/** Coordinator → all workers, over a BroadcastChannel (Piscina owns the worker's parentPort). */
export interface CancelMessage {
  readonly kind: 'cancel';
  readonly seq: number;
  readonly ids: readonly number[];
}

export const CANCEL_CHANNEL = 'constellation:cancel';

/** Data every worker gets at start-up. */
export interface WorkerBootData {
  /** Int32Array view over a SharedArrayBuffer: slot → threadId of the worker running that batch. */
  readonly threadTable: SharedArrayBuffer;
  /** Int32Array view: `taskId & (slots - 1)` → 1 once the call is cancelled (checked before it starts). */
  readonly cancelTable: SharedArrayBuffer;
  readonly maxResultBytes: number;
  /** Module files to import at start-up, so the first call does not pay for it. */
  readonly preload: readonly string[];
}
