import assert from 'node:assert/strict';
import { it } from 'node:test';
import { jsonString } from '../../runtime/values/json-text.js';
import { prng } from '../helpers/prng.js';

it('jsonString writes exactly what JSON.stringify writes (seeded fuzz over every kind of character)', () => {
  const rng = prng(2026);
  const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\u0000', '\u001f', '\u007f', 'é', '\u2028', '\ud800', '\udc00', '😀', '-', '}'];
  for (let i = 0; i < 20_000; i++) {
    const length = Math.floor(rng() * (rng() < 0.05 ? 200 : 40));
    let s = '';
    for (let k = 0; k < length; k++) s += alphabet[Math.floor(rng() * (rng() < 0.7 ? 3 : alphabet.length))];
    assert.equal(jsonString(s), JSON.stringify(s));
  }
});
