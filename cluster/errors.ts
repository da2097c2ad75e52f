import { NatsError } from 'nats';
import { ConstellationError } from '../runtime/errors.js';
import { errorText } from './log.js';

/**
 * Errors of shared operations. Everything that keeps a shared read or write from reaching
 * JetStream — no connection, a timeout, no JetStream responders, lost quorum — becomes one
 * coded error, `CoordinationUnavailable` (HTTP 503), raised within the operation timeout:
 * never a hang, never a silent local-only write. A compare-and-set conflict is not an outage:
 * `isRevisionConflict` tells it apart so callers can re-read and retry.
 */

export function coordinationUnavailable(operation: string, cause?: unknown): ConstellationError {
  const why = cause === undefined ? 'not connected to NATS' : errorText(cause);
  return new ConstellationError('CoordinationUnavailable', `The cluster coordination service cannot be reached: ${operation}: ${why}`);
}

export function isCoordinationUnavailable(e: unknown): boolean {
  return e instanceof ConstellationError && e.code === 'CoordinationUnavailable';
}

/** JetStream's "wrong last sequence": the key moved on since the revision the writer read. */
const WRONG_LAST_SEQUENCE = 10071;

export function isRevisionConflict(e: unknown): boolean {
  return e instanceof NatsError && e.api_error?.err_code === WRONG_LAST_SEQUENCE;
}

/** JetStream's "stream not found": a bucket that was never created. */
const STREAM_NOT_FOUND = 10059;

export function isStreamNotFound(e: unknown): boolean {
  return e instanceof NatsError && e.api_error?.err_code === STREAM_NOT_FOUND;
}

/** Rethrows a conflict or a non-NATS error as is; turns every other NATS failure into CoordinationUnavailable. */
export function asCoordinationError(operation: string, e: unknown): unknown {
  if (isRevisionConflict(e) || isCoordinationUnavailable(e)) return e;
  if (e instanceof NatsError) return coordinationUnavailable(operation, e);
  if (e instanceof Error && e.name === 'TimeoutError') return coordinationUnavailable(operation, e);
  return e;
}
