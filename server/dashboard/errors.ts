import type { z } from 'zod';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { readBody } from '../routes/body.js';

/**
 * The dashboard API's own error envelope (`{error, message, path, details}`; codes
 * `not_found`, `invalid_request`, `compilation_error`, `server_error`, `no_dag`) and its JSON
 * body reader (malformed JSON or a schema failure → 400 `invalid_request`).
 */

export type DashboardErrorCode = 'not_found' | 'invalid_request' | 'compilation_error' | 'server_error' | 'no_dag' | 'execution_failed';

export function dashboardError(status: number, error: DashboardErrorCode, message: string, path: string | null = null, details: unknown = null): HttpReply {
  return json(status, { error, message, path, details });
}

export async function dashboardBody<T extends z.ZodType>(req: HttpRequest, schema: T): Promise<{ ok: true; value: z.output<T> } | { ok: false; reply: HttpReply }> {
  const parsed = await readBody(req, schema);
  if (parsed.ok) return parsed;
  return { ok: false, reply: dashboardError(400, 'invalid_request', `Invalid request: ${parsed.message}`) };
}
