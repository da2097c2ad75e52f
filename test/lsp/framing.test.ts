import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameDecoder, frame } from '../../server/lsp/framing.js';

/** The inbound extractor and the outbound framer of the LSP transport, byte by byte. */

const texts = (items: ReturnType<FrameDecoder['push']>) => items.map((i) => (i.kind === 'message' ? i.text : i.kind));

describe('LSP framing', () => {
  test('outbound frames count bytes, not characters', () => {
    const json = '{"text":"héllo ✓"}';
    assert.equal(frame(json), `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    assert.notEqual(Buffer.byteLength(json), json.length);
  });

  test('a message split at every byte boundary is reassembled', () => {
    const json = '{"jsonrpc":"2.0","method":"x","params":{"t":"ünïcödé ✓"}}';
    const bytes = Buffer.from(frame(json) + frame('{"b":1}'));
    for (let cut = 1; cut < bytes.length; cut++) {
      const d = new FrameDecoder(1 << 20);
      const got = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      assert.deepEqual(texts(got), [json, '{"b":1}'], `cut at ${cut}`);
    }
  });

  test('bare JSON, keep-alives, headers in any case, junk headers skipped', () => {
    const d = new FrameDecoder(1 << 20);
    assert.deepEqual(texts(d.push('  {"a":1}\n')), ['{"a":1}']);
    assert.deepEqual(texts(d.push(' \r\n ')), []);
    assert.deepEqual(texts(d.push('content-length: 7\r\nContent-Type: x\r\n\r\n{"c":3}')), ['{"c":3}']);
    assert.deepEqual(texts(d.push('Content-Length: abc\r\n\r\nrubbishContent-Length: 7\r\n\r\n{"d":4}')), ['{"d":4}']);
    assert.deepEqual(texts(d.push('{"partial":')), []);
    assert.deepEqual(texts(d.push('true}')), ['{"partial":true}']);
  });

  test('an oversized message is skipped as it streams, keeping only its head', () => {
    const d = new FrameDecoder(100);
    const big = JSON.stringify({ jsonrpc: '2.0', id: 42, method: 'm', params: 'x'.repeat(1000) });
    const bytes = Buffer.from(frame(big) + frame('{"ok":1}'));
    const out = [...d.push(bytes.subarray(0, 60)), ...d.push(bytes.subarray(60, 500))];
    assert.deepEqual(out, []);
    assert.ok(d.buffered < 100, 'the body is not kept');
    const rest = d.push(bytes.subarray(500));
    assert.equal(rest[0]!.kind, 'oversized');
    assert.match((rest[0] as { head: string }).head, /"id":42/);
    assert.deepEqual(texts(rest.slice(1)), ['{"ok":1}']);
  });

  test('text that never becomes a message is dropped at the limit', () => {
    const d = new FrameDecoder(50);
    assert.deepEqual(texts(d.push('not json at all '.repeat(5))), ['garbage']);
    assert.equal(d.buffered, 0);
  });
});
