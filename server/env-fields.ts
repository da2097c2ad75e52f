import { z } from 'zod';

/**
 * Field parsers for `CONSTELLATION_*` variables, shared by the server's configuration and the
 * cluster's (server/cluster-config.ts): every variable is a string, turned into a typed value
 * or a message that says what was expected (never echoing a secret: secrets are not parsed here).
 */

/** `15s`, `500ms`, `2m`, `2min`, `1h`, `7d`, or bare seconds → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  switch ((m[2] ?? 's').toLowerCase()) {
    case 'ms': return n;
    case 's': return n * 1000;
    case 'm': case 'min': return n * 60_000;
    case 'h': return n * 3_600_000;
    case 'd': return n * 86_400_000;
  }
  return undefined;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** `1048576`, `512k`, `64MB`, `1GiB` (binary multiples, case-insensitive) → bytes. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const truthy = new Set(['true', '1', 'yes', 'on']);
const falsy = new Set(['false', '0', 'no', 'off']);

export const bool = z.string().transform((s, check) => {
  const v = s.trim().toLowerCase();
  if (truthy.has(v)) return true;
  if (falsy.has(v)) return false;
  check.addIssue({ code: 'custom', message: `expected true/false (or 1/0, yes/no), got '${s}'` });
  return z.NEVER;
});

/** The longest delay a Node timer can wait (longer ones fire at once). */
export const MAX_TIMER_MS = 2_147_483_647;

/** A duration for a timer: bounded by the longest timer. */
export const duration = z.string().transform((s, check) => {
  const ms = parseDuration(s);
  if (ms === undefined) {
    check.addIssue({ code: 'custom', message: `expected a duration such as 30s, 500ms, 2m or a number of seconds, got '${s}'` });
    return z.NEVER;
  }
  if (ms > MAX_TIMER_MS) {
    check.addIssue({ code: 'custom', message: `'${s}' is longer than the longest timer, ${MAX_TIMER_MS}ms (about 24 days)` });
    return z.NEVER;
  }
  return ms;
});

/** A retention age (not a timer, so not bounded by the longest timer): any positive duration (`168h`). */
export const age = z.string().transform((s, check) => {
  const ms = parseDuration(s);
  if (ms === undefined || ms <= 0) {
    check.addIssue({ code: 'custom', message: `expected a positive duration such as 168h, 12h or 30m, got '${s}'` });
    return z.NEVER;
  }
  return ms;
});

/** A duration compared with ages, never armed as a timer (so it may exceed the longest timer); `0` switches it off. */
export const ageOrOff = z.string().transform((s, check) => {
  const ms = parseDuration(s);
  if (ms === undefined) {
    check.addIssue({ code: 'custom', message: `expected a duration such as 7d, 12h, 30m or a number of seconds (0 for no limit), got '${s}'` });
    return z.NEVER;
  }
  return ms;
});

export const size = (what: string) =>
  z.string().transform((s, check) => {
    const bytes = parseSize(s);
    if (bytes === undefined || bytes <= 0) {
      check.addIssue({ code: 'custom', message: `${what} must be a positive size such as 1048576, 512k, 64MB or 1GiB, got '${s}'` });
      return z.NEVER;
    }
    return bytes;
  });

export const positiveInt = (what: string) =>
  z.string().transform((s, check) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n <= 0) {
      check.addIssue({ code: 'custom', message: `${what} must be a positive integer, got '${s}'` });
      return z.NEVER;
    }
    return n;
  });

export const nonNegativeInt = (what: string) =>
  z.string().transform((s, check) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 0) {
      check.addIssue({ code: 'custom', message: `${what} must be a non-negative integer, got '${s}'` });
      return z.NEVER;
    }
    return n;
  });

export const list = z.string().transform((s) => s.split(',').map((e) => e.trim()).filter((e) => e.length > 0));
