/**
 * Runtime representation of values. Types are static, so values stay plain JavaScript data and
 * the hot path allocates nothing extra:
 *
 * | Type          | Representation                                                      |
 * |---------------|---------------------------------------------------------------------|
 * | String        | string                                                              |
 * | Int, Float    | number (Int is always a safe integer; see int.ts)                   |
 * | Boolean       | boolean                                                             |
 * | List, Seq     | array                                                               |
 * | Map           | ValueMap (a Map subclass, so the wire codec can tell it from records) |
 * | record        | plain object (may carry extra fields: width subtyping)              |
 * | Optional<T>   | `null` when absent, else the inner value; a present value that is   |
 * |               | itself absent-or-boxed (nested optionals) is wrapped in a `Some` box |
 * | union         | `Tagged` { tag, value } — the tag is the member's printed type       |
 */

export type Value = unknown;

/** A present optional whose inner value is itself an optional (`Optional<Optional<T>>`). */
export class Some {
  constructor(readonly value: Value) {}
}

/** A union value: the member it belongs to (its printed type) and the member's value. */
export class Tagged {
  constructor(readonly tag: string, readonly value: Value) {}
}

/** The runtime representation of `Map<K, V>`. */
export class ValueMap<K = Value, V = Value> extends Map<K, V> {}

/** Wraps a value as a present optional. */
export function some(v: Value): Value {
  return v === null || v === undefined || v instanceof Some ? new Some(v ?? null) : v;
}

/** The inner value of a present optional. */
export function unwrapSome(v: Value): Value {
  return v instanceof Some ? v.value : v;
}

/** Builds a record, guarding the one field name that plain assignment would misinterpret. */
export function setField(record: Record<string, Value>, name: string, value: Value): void {
  if (name === '__proto__') Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
  else record[name] = value;
}
