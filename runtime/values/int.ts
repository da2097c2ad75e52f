import { ConstellationError } from '../errors.js';

/**
 * Int arithmetic. Int values are JavaScript numbers holding safe integers (the reference's runtime: keep
 * CInt as number on the hot path). The language says 64-bit arithmetic wraps; a wrapped result
 * is almost always far outside ±2^53, so instead of silently rounding we compute the exact 64-bit
 * result with BigInt and return it when it is representable, else fail with IntegerOverflow.
 */

const MIN64 = -(2n ** 63n);

function fromBig(r: bigint, op: string): number {
  const wrapped = BigInt.asIntN(64, r);
  const n = Number(wrapped);
  if (Number.isSafeInteger(n)) return n;
  // report the true result; a 64-bit machine would have wrapped it to something else again
  const wrapNote = wrapped === r ? '' : ` (${wrapped} after 64-bit wrap-around)`;
  throw new ConstellationError('IntegerOverflow', `Integer overflow in ${op}: the result ${r} is outside the exact integer range (±9007199254740991)${wrapNote}`);
}

export function intAdd(a: number, b: number): number {
  const r = a + b;
  return Number.isSafeInteger(r) ? r : fromBig(BigInt(a) + BigInt(b), 'addition');
}

export function intSub(a: number, b: number): number {
  const r = a - b;
  return Number.isSafeInteger(r) ? r : fromBig(BigInt(a) - BigInt(b), 'subtraction');
}

export function intMul(a: number, b: number): number {
  const r = a * b;
  return Number.isSafeInteger(r) ? (r === 0 ? 0 : r) : fromBig(BigInt(a) * BigInt(b), 'multiplication');
}

/** Quotient truncated toward zero; `b = 0` is an error (the caller decides about lambdas). */
export function intDiv(a: number, b: number, fn = 'stdlib.divide'): number {
  if (b === 0) throw new ConstellationError('DivisionByZero', `Division by zero in ${fn}`);
  const q = Math.trunc(a / b);
  return q === 0 ? 0 : q;
}

/** Remainder with the sign of the dividend. */
export function intMod(a: number, b: number, fn = 'stdlib.modulo'): number {
  if (b === 0) throw new ConstellationError('DivisionByZero', `Division by zero in ${fn}`);
  const r = a % b;
  return r === 0 ? 0 : r;
}

export function intNeg(a: number): number {
  return a === 0 ? 0 : -a;
}

export function intSum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total = intAdd(total, v);
  return total;
}

/** Java `(long) x`: truncation toward zero, NaN → 0, clamped to the Int range (then to safe range). */
export function floatToInt(x: number): number {
  if (Number.isNaN(x)) return 0;
  const t = Math.trunc(x);
  return clampToInt(t);
}

/** Java `Math.round`: floor(x + 0.5) computed exactly (halves toward +∞), NaN → 0, clamped. */
export function javaRound(x: number): number {
  if (Number.isNaN(x)) return 0;
  if (!Number.isFinite(x)) return clampToInt(x);
  // Math.round agrees with Java on finite values (halves toward +∞); -0 is normalised.
  const r = Math.round(x);
  return clampToInt(r === 0 ? 0 : r);
}

function clampToInt(t: number): number {
  if (Number.isSafeInteger(t)) return t === 0 ? 0 : t;
  // Java clamps to Long.MIN/MAX; those are not exact numbers here, so the range limit is reported.
  const big = t > 0 ? 2n ** 63n - 1n : MIN64;
  throw new ConstellationError('IntegerOverflow', `Integer overflow: ${t} converts to ${big}, outside the exact integer range (±9007199254740991)`);
}
