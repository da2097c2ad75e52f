import { randomFillSync } from 'node:crypto';

/**
 * Random (version 4) UUIDs for request and execution ids, made cheaper than `crypto.randomUUID`
 * (two per request on `/execute`; measured at ~2,400 instructions each, and its 19-part string
 * rope is flattened again wherever the id is hashed or serialised). The randomness comes from the
 * same CSPRNG, 256 UUIDs at a time; 16 at a time are written as ASCII into a buffer and read as
 * one flat string, and each id is a 36-character slice of it (no copy).
 *
 * The price of slicing: an id kept alive keeps its batch's 576-character string alive with it
 * (at most ~0.6 KB per retained id, usually shared by many ids).
 */

/** Ids per slice of text, and per draw from the CSPRNG (a draw has a large fixed cost). */
const TEXT_IDS = 16;
const RANDOM_IDS = 256;
const random = Buffer.allocUnsafe(16 * RANDOM_IDS);
const text = Buffer.alloc(36 * TEXT_IDS);
const view = new DataView(text.buffer, text.byteOffset, text.byteLength);
/** Two hex digits of a byte as one little-endian 16-bit store. */
const HEX_PAIRS = new Uint16Array(256);
for (let b = 0; b < 256; b++) HEX_PAIRS[b] = '0123456789abcdef'.charCodeAt(b >> 4) | ('0123456789abcdef'.charCodeAt(b & 15) << 8);
let drawn = RANDOM_IDS;
let batch = '';
let next = TEXT_IDS;

/** Writes the next TEXT_IDS ids as text (two digits per store: ~250 instructions an id instead of ~1,200 a digit at a time). */
function refill(): void {
  if (drawn === RANDOM_IDS) {
    randomFillSync(random);
    drawn = 0;
  }
  const pair = (i: number) => HEX_PAIRS[random[i]!]!;
  for (let o = 0, r = 16 * drawn; o < 36 * TEXT_IDS; o += 36, r += 16) {
    view.setUint16(o, pair(r), true);
    view.setUint16(o + 2, pair(r + 1), true);
    view.setUint16(o + 4, pair(r + 2), true);
    view.setUint16(o + 6, pair(r + 3), true);
    text[o + 8] = 0x2d;
    view.setUint16(o + 9, pair(r + 4), true);
    view.setUint16(o + 11, pair(r + 5), true);
    text[o + 13] = 0x2d;
    view.setUint16(o + 14, HEX_PAIRS[(random[r + 6]! & 0x0f) | 0x40]!, true); // version 4
    view.setUint16(o + 16, pair(r + 7), true);
    text[o + 18] = 0x2d;
    view.setUint16(o + 19, HEX_PAIRS[(random[r + 8]! & 0x3f) | 0x80]!, true); // variant 10xx (RFC 9562)
    view.setUint16(o + 21, pair(r + 9), true);
    text[o + 23] = 0x2d;
    for (let i = 10; i < 16; i++) view.setUint16(o + 4 + 2 * i, pair(r + i), true);
  }
  drawn += TEXT_IDS;
  batch = text.toString('latin1');
  next = 0;
}

/** A fresh random UUID (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`, lower case). */
export function randomUuid(): string {
  if (next === TEXT_IDS) refill();
  const o = 36 * next++;
  return batch.substring(o, o + 36);
}
