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
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const random = Buffer.allocUnsafe(16 * RANDOM_IDS);
const text = Buffer.allocUnsafe(36 * TEXT_IDS);
let drawn = RANDOM_IDS;
let batch = '';
let next = TEXT_IDS;

function refill(): void {
  if (drawn === RANDOM_IDS) {
    randomFillSync(random);
    drawn = 0;
  }
  let o = 0;
  for (let r = 16 * drawn, end = r + 16 * TEXT_IDS; r < end; r += 16) {
    random[r + 6] = (random[r + 6]! & 0x0f) | 0x40; // version 4
    random[r + 8] = (random[r + 8]! & 0x3f) | 0x80; // variant 10xx (RFC 9562)
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) text[o++] = 0x2d; // '-'
      const byte = random[r + i]!;
      text[o++] = HEX[byte >> 4]!;
      text[o++] = HEX[byte & 15]!;
    }
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
