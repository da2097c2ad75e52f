import type { z } from 'zod';
import { PayloadTooLarge } from '../http/uws-adapter.js';
import type { HttpRequest } from '../http/types.js';
import { describeZodError } from '../schemas.js';

/**
 * Reads a JSON body and validates it with zod. Malformed JSON is a 400 on every endpoint
 * (docs/decisions.md #16; the reference answers 500); an empty body counts as `{}` so optional-only
 * bodies may be omitted. A too-large body propagates as PayloadTooLarge (→ 413).
 */
export async function readBody<T extends z.ZodType>(req: HttpRequest, schema: T): Promise<{ ok: true; value: z.output<T> } | { ok: false; message: string }> {
  let raw: Buffer | null;
  try {
    raw = await req.body();
  } catch (e) {
    if (e instanceof PayloadTooLarge) throw e;
    return { ok: false, message: `could not read the request body: ${e instanceof Error ? e.message : String(e)}` };
  }
  let value: unknown = {};
  if (raw !== null && raw.length > 0) {
    const text = raw.toString('utf8');
    try {
      value = JSON.parse(text);
    } catch (e) {
      return { ok: false, message: `malformed JSON: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return { ok: false, message: describeZodError(parsed.error) };
  return { ok: true, value: parsed.data };
}
