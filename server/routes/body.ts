import type { z } from 'zod';
import { REJECTED, specialisedCheck } from '../../runtime/codegen/zod-check.js';
import { PayloadTooLarge } from '../http/uws-adapter.js';
import type { HttpRequest } from '../http/types.js';
import { describeZodError } from '../schemas.js';

/**
 * Reads a JSON body and validates it with zod. Malformed JSON is a 400 on every endpoint
 * (docs/decisions.md #16; the reference answers 500); an empty body counts as `{}` so optional-only
 * bodies may be omitted. A too-large body propagates as PayloadTooLarge (→ 413).
 */
export async function readBody<T extends z.ZodType>(req: HttpRequest, schema: T): Promise<BodyResult<z.output<T>>> {
  let raw: Buffer | null;
  try {
    raw = await req.body();
  } catch (e) {
    return unreadableBody(e);
  }
  return parseBody(raw, schema);
}

export type BodyResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** A body that could not be read: PayloadTooLarge goes on (→ 413), anything else is the endpoint's 400. */
export function unreadableBody(e: unknown): { ok: false; message: string } {
  if (e instanceof PayloadTooLarge) throw e;
  return { ok: false, message: `could not read the request body: ${e instanceof Error ? e.message : String(e)}` };
}

/**
 * Parses and validates bytes already read (synchronous: the execution routes answer without a
 * promise hop when they can). A body the schema's specialised check accepts costs no zod call;
 * any other body is judged by zod itself, so every error message is zod's.
 */
export function parseBody<T extends z.ZodType>(raw: Buffer | null, schema: T): BodyResult<z.output<T>> {
  let value: unknown = {};
  if (raw !== null && raw.length > 0) {
    const text = raw.toString('utf8');
    try {
      value = JSON.parse(text);
    } catch (e) {
      return { ok: false, message: `malformed JSON: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  const accepted = specialisedCheck(schema)(value);
  if (accepted !== REJECTED) return { ok: true, value: accepted as z.output<T> };
  const parsed = schema.safeParse(value);
  if (!parsed.success) return { ok: false, message: describeZodError(parsed.error) };
  return { ok: true, value: parsed.data };
}
