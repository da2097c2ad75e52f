import { ConstellationError, formatError, httpStatus, type ErrorCode } from '../../runtime/errors.js';
import type { HttpReply } from './types.js';

/**
 * The `ErrorResponse` envelope, `{"error": code, "message", "requestId"}`, with the status the
 * registry gives the code (runtime/error-codes.ts: one mapping from code to status). Every error
 * reply of the server, at the edge (adapter, CORS, rate limit, auth, WebSocket upgrades) and in
 * the routes, is built here, so no code string is written anywhere else.
 */
export function errorReply(code: ErrorCode, message: string = formatError(code), requestId: string | null = null, headers?: Record<string, string>): HttpReply {
  const body = { error: code, message, requestId };
  return headers ? { status: httpStatus(code), body, headers } : { status: httpStatus(code), body };
}

/**
 * Errors a shared store raises from any route, as their replies: the coordination service out
 * of reach (503 CoordinationUnavailable) or a compare-and-set that kept losing (409
 * ConcurrentUpdate). `undefined` for anything else.
 */
export function sharedStateReply(e: unknown, requestId: string | null): HttpReply | undefined {
  if (e instanceof ConstellationError && (e.code === 'CoordinationUnavailable' || e.code === 'ConcurrentUpdate')) return errorReply(e.code, e.message, requestId);
  return undefined;
}
