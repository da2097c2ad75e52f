import { randomFillSync } from 'node:crypto';

/**
 * Random (version 4) UUIDs for request and execution ids, made cheaper than `crypto.randomUUID`:
 * the randomness comes from the same CSPRNG, 128 UUIDs at a time, and each batch is written as
 * ASCII text into one buffer, so taking an id is a single native slice that yields a flat
 * one-byte string. `randomUUID` builds its text with 19 string additions, whose rope is flattened
 * again wherever the id is hashed (a map key) or serialised; both were visible per request in
 * profiles of `/execute`.
 */

const BATCH = 128;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const random = Buffer.allocUnsafe(16 * BATCH);
const text = Buffer.allocUnsafe(36 * BATCH);
let next = BATCH;

function refill(): void {
  randomFillSync(random);
  for (let u = 0; u < BATCH; u++) {
    const r = u * 16;
    random[r + 6] = (random[r + 6]! & 0x0f) | 0x40; // version 4
    random[r + 8] = (random[r + 8]! & 0x3f) | 0x80; // variant 10xx (RFC 9562)
    let o = u * 36;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) text[o++] = 0x2d; // '-'
      const byte = random[r + i]!;
      text[o++] = HEX[byte >> 4]!;
      text[o++] = HEX[byte & 15]!;
    }
  }
  next = 0;
}

/** A fresh random UUID (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`, lower case). */
export function randomUuid(): string {
  if (next === BATCH) refill();
  const o = 36 * next++;
  return text.toString('latin1', o, o + 36);
}
