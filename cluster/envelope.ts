import { Packr } from 'msgpackr';
import { z } from 'zod';

/**
 * Versioned envelopes: the one wire format of every message and KV value on the coordination
 * plane. Layout: one byte of envelope version, then a msgpack map `{kind, …fields}` (plain maps:
 * no msgpackr records, so no structure is shared between processes).
 *
 * Everything read from NATS is hostile until proven otherwise: `decode` checks the size before
 * touching the bytes, then the version byte, then msgpack, then the kind's zod schema, and
 * reports why it dropped a value instead of throwing. `DropCounter` counts the drops by kind
 * and reason for /metrics. A message of an unknown version is ignored (a newer peer during a
 * rolling upgrade); a KV value of an unknown version is treated as absent by its reader.
 */

export const ENVELOPE_VERSION = 1;

/** The NATS default `max_payload` is 1 MiB; values bigger than this go to the Object Store. */
export const MAX_INLINE_BYTES = 900 * 1024;

export type DropReason = 'oversized' | 'empty' | 'version' | 'garbage' | 'kind' | 'schema';

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: DropReason; readonly detail: string };

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'number', bundleStrings: false });

export interface EnvelopeCodec<T> {
  readonly kind: string;
  readonly maxBytes: number;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): Decoded<T>;
}

/**
 * A codec for one kind of envelope. `schema` describes the fields (without `kind`); values
 * that fail it are dropped with reason `schema`. `maxBytes` bounds what is accepted (and sent).
 */
export function defineEnvelope<S extends z.ZodObject>(kind: string, schema: S, maxBytes = MAX_INLINE_BYTES): EnvelopeCodec<z.output<S>> {
  const full = schema.extend({ kind: z.literal(kind) });
  return {
    kind,
    maxBytes,
    encode(value: z.output<S>): Uint8Array {
      const body = packr.pack({ ...(value as object), kind });
      const out = new Uint8Array(body.length + 1);
      out[0] = ENVELOPE_VERSION;
      out.set(body, 1);
      if (out.length > maxBytes) throw new EnvelopeTooLargeError(kind, out.length, maxBytes);
      return out;
    },
    decode(bytes: Uint8Array): Decoded<z.output<S>> {
      if (bytes.length > maxBytes) return { ok: false, reason: 'oversized', detail: `${bytes.length} bytes, limit ${maxBytes}` };
      if (bytes.length < 2) return { ok: false, reason: 'empty', detail: `${bytes.length} bytes` };
      if (bytes[0] !== ENVELOPE_VERSION) return { ok: false, reason: 'version', detail: `envelope version ${bytes[0]}` };
      let raw: unknown;
      try {
        raw = packr.unpack(bytes.subarray(1));
      } catch (e) {
        return { ok: false, reason: 'garbage', detail: e instanceof Error ? e.message.slice(0, 120) : 'undecodable' };
      }
      if (typeof raw !== 'object' || raw === null || (raw as { kind?: unknown }).kind !== kind) {
        const found = typeof raw === 'object' && raw !== null ? String((raw as { kind?: unknown }).kind).slice(0, 40) : typeof raw;
        return { ok: false, reason: 'kind', detail: `expected '${kind}', got '${found}'` };
      }
      const parsed = full.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return { ok: false, reason: 'schema', detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`.slice(0, 200) };
      }
      const { kind: _kind, ...value } = parsed.data as Record<string, unknown>;
      return { ok: true, value: value as z.output<S> };
    },
  };
}

export class EnvelopeTooLargeError extends Error {
  constructor(readonly kind: string, readonly bytes: number, readonly limit: number) {
    super(`${kind} envelope of ${bytes} bytes exceeds its limit of ${limit} bytes`);
    this.name = 'EnvelopeTooLargeError';
  }
}

/** Counts dropped envelopes by kind and reason (low cardinality: kinds are ours, reasons fixed). */
export class DropCounter {
  private readonly counts = new Map<string, number>();
  private onDropListener: ((kind: string, reason: DropReason, detail: string) => void) | undefined;

  record(kind: string, reason: DropReason, detail: string): void {
    const key = `${kind}\u0000${reason}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.onDropListener?.(kind, reason, detail);
  }

  /** Called for every drop (the node logs the first ones, rate-limited). */
  onDrop(listener: (kind: string, reason: DropReason, detail: string) => void): void {
    this.onDropListener = listener;
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  entries(): { kind: string; reason: DropReason; count: number }[] {
    return [...this.counts].map(([key, count]) => {
      const [kind, reason] = key.split('\u0000') as [string, DropReason];
      return { kind, reason, count };
    });
  }

  /** Decodes or counts the drop; `undefined` for a dropped value. */
  accept<T>(codec: EnvelopeCodec<T>, bytes: Uint8Array): T | undefined {
    const d = codec.decode(bytes);
    if (d.ok) return d.value;
    this.record(codec.kind, d.reason, d.detail);
    return undefined;
  }
}
