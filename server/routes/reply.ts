import type { z } from 'zod';
import { ConstellationError, formatError } from '../../runtime/errors.js';
import { errorReply, sharedStateReply } from '../http/error-reply.js';
import type { HttpReply, HttpRequest } from '../http/types.js';
import { readBody } from './body.js';

/**
 * Small helpers shared by the pipeline, version, canary, execution, module and namespace routes:
 * the `ErrorResponse` envelope and JSON body parsing that answers 400
 * `InvalidRequest` (docs/decisions.md #16).
 */

/** `requestId` in bodies is null except on the execution routes and the shared edge answers (the reference's shapes); the `X-Request-ID` header always carries it. */
export { errorReply };

/** 503 `ShuttingDown`: the server is draining and takes no new work (the reference's operations guide). */
export function shuttingDownReply(requestId: string | null): HttpReply {
  return errorReply('ShuttingDown', formatError('ShuttingDown'), requestId);
}

/**
 * The engine's back-pressure errors as replies: a full queue is 429, a draining engine 503, a
 * shared store out of reach 503 (cluster); else undefined.
 */
export function busyReply(e: unknown, requestId: string | null): HttpReply | undefined {
  if (!(e instanceof ConstellationError)) return undefined;
  if (e.code === 'QueueFull') return errorReply('QueueFull', formatError('QueueFull'), requestId);
  if (e.code === 'ShuttingDown') return shuttingDownReply(requestId);
  return sharedStateReply(e, requestId);
}

export function notFound(message: string, requestId: string | null = null): HttpReply {
  return errorReply('NotFound', message, requestId);
}

/** Parses and validates a JSON body; malformed JSON or a schema failure → 400 `InvalidRequest`. */
export async function jsonBody<T extends z.ZodType>(req: HttpRequest, schema: T): Promise<{ ok: true; value: z.output<T> } | { ok: false; reply: HttpReply }> {
  const parsed = await readBody(req, schema);
  if (parsed.ok) return parsed;
  return { ok: false, reply: errorReply('InvalidRequest', formatError('InvalidRequest', { detail: parsed.message })) };
}

/**
 * Checks a pipeline name taken from the path (alias PUT, reload). Decision: at most 256
 * characters (the limit on refs, so every alias stays addressable) and no `sha256:` prefix
 * (such an alias could never be resolved: that prefix always means a hash).
 */
export function invalidName(name: string): string | undefined {
  if (name.trim().length === 0) return 'Pipeline name cannot be blank';
  if (name.length > 256) return `Pipeline name too long: ${name.length} characters (max 256)`;
  if (name.startsWith('sha256:')) return `Pipeline name cannot start with 'sha256:' (that prefix addresses a hash)`;
  return undefined;
}
