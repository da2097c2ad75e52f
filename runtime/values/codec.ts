import { addExtension, Packr } from 'msgpackr';
import { Some, Tagged, ValueMap } from './value.js';

/**
 * Wire form C: msgpackr between threads and instances. Every payload starts
 * with a one-byte format version. Structures are not shared (`useRecords: false`): msgpackr's
 * record structures are per-process state. Records travel as msgpack maps; `ValueMap` (the
 * representation of Map values) and the two value wrappers (`Some`, `Tagged`) are msgpack
 * extensions, so they survive the trip with their identity.
 */

export const WIRE_FORMAT_VERSION = 1;

addExtension({
  Class: Some,
  type: 0x43, // 'C' for "contains"
  write: (v: Some) => [v.value],
  read: (data: unknown[]) => new Some(data[0]),
});

addExtension({
  Class: Tagged,
  type: 0x54, // 'T'
  write: (v: Tagged) => [v.tag, v.value],
  read: (data: unknown[]) => new Tagged(data[0] as string, data[1]),
});

addExtension({
  Class: ValueMap,
  type: 0x4d, // 'M'
  write: (m: ValueMap) => [...m],
  read: (data: [unknown, unknown][]) => new ValueMap(data),
});

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export function encodeWire(value: unknown): Uint8Array {
  const body = packr.pack(value);
  const out = new Uint8Array(body.length + 1);
  out[0] = WIRE_FORMAT_VERSION;
  out.set(body, 1);
  return out;
}

export function decodeWire(bytes: Uint8Array): unknown {
  if (bytes.length === 0 || bytes[0] !== WIRE_FORMAT_VERSION) {
    throw new Error(`unsupported wire format version ${bytes[0] ?? '(empty payload)'} (expected ${WIRE_FORMAT_VERSION})`);
  }
  return packr.unpack(bytes.subarray(1));
}
