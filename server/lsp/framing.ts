/**
 * LSP base-protocol framing over a byte stream or WebSocket text frames.
 *
 * Outbound: every message is `Content-Length: <bytes>\r\n\r\n<json>`, one WebSocket text frame
 * per message (no other headers).
 *
 * Inbound (what the reference's editor extension and other clients send): bytes are appended to a
 * per-connection buffer and complete messages are taken from its front, again and again —
 * - a `Content-Length:` header block: wait for the blank line, then for that many body *bytes*
 *   (the reference counts characters, which mis-frames non-ASCII text); a header block without a
 *   readable length is skipped to the next `Content-Length:`, or dropped;
 * - anything else: whitespace only is a keep-alive and dropped; text that starts with `{` and ends
 *   with `}` is one bare JSON message; otherwise wait for more.
 * So a header and its body may come in separate frames (VS Code's stream writer does that) and one
 * frame may carry several messages. A message longer than the limit is skipped as it streams in,
 * without being kept: only its first bytes are remembered, to answer the request it was.
 */

export function frame(json: string): string {
  return `Content-Length: ${Buffer.byteLength(json, 'utf8')}\r\n\r\n${json}`;
}

export type Inbound =
  | { readonly kind: 'message'; readonly text: string; readonly bytes: number }
  /** A message over the size limit: `head` is its first bytes (enough to find its id and method). */
  | { readonly kind: 'oversized'; readonly bytes: number; readonly head: string }
  /** Bytes that are no message (a bare text over the limit that never became JSON). */
  | { readonly kind: 'garbage'; readonly bytes: number };

const HEADER = Buffer.from('content-length:');
const SEPARATOR = Buffer.from('\r\n\r\n');
/** A header block longer than this without its blank line is not a header. */
const MAX_HEADER_BYTES = 1024;
const HEAD_BYTES = 512;

function startsWithHeader(buf: Buffer, at = 0): boolean {
  if (buf.length - at < HEADER.length) return false;
  for (let i = 0; i < HEADER.length; i++) {
    const c = buf[at + i]!;
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== HEADER[i]) return false;
  }
  return true;
}

/** Could the buffer still become a header (it is a prefix of `content-length:`)? */
function couldBeHeader(buf: Buffer): boolean {
  const n = Math.min(buf.length, HEADER.length);
  for (let i = 0; i < n; i++) {
    const c = buf[i]!;
    if ((c >= 65 && c <= 90 ? c + 32 : c) !== HEADER[i]) return false;
  }
  return true;
}

function indexOfHeader(buf: Buffer, from: number): number {
  for (let i = from; i + HEADER.length <= buf.length; i++) if (startsWithHeader(buf, i)) return i;
  return -1;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  /** Body bytes of an oversized message still to be skipped. */
  private skipping = 0;
  private skippedHead = '';
  private skippedTotal = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes held for an unfinished message. */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: string | Buffer): Inbound[] {
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const out: Inbound[] = [];
    let input = data;
    if (this.skipping > 0) {
      const take = Math.min(this.skipping, input.length);
      if (this.skippedHead.length < HEAD_BYTES) this.skippedHead += input.subarray(0, Math.min(take, HEAD_BYTES - this.skippedHead.length)).toString('utf8');
      this.skipping -= take;
      input = input.subarray(take);
      if (this.skipping > 0) return out;
      out.push({ kind: 'oversized', bytes: this.skippedTotal, head: this.skippedHead });
    }
    this.buf = this.buf.length === 0 ? Buffer.from(input) : Buffer.concat([this.buf, input]);
    this.extract(out);
    return out;
  }

  private extract(out: Inbound[]): void {
    for (;;) {
      let start = 0;
      while (start < this.buf.length && isSpace(this.buf[start]!)) start++;
      if (start === this.buf.length) {
        this.buf = Buffer.alloc(0);
        return;
      }
      if (start > 0) this.buf = this.buf.subarray(start);
      if (!startsWithHeader(this.buf)) {
        // `Content-Le` … the rest is on its way; anything else is (the start of) bare JSON
        if (!couldBeHeader(this.buf)) this.bare(out);
        return;
      }
      const end = this.buf.indexOf(SEPARATOR);
      if (end < 0) {
        if (this.buf.length > MAX_HEADER_BYTES) this.skipBadHeader();
        return;
      }
      const length = contentLength(this.buf.subarray(0, end).toString('latin1'));
      if (length === undefined) {
        this.skipBadHeader();
        continue;
      }
      const bodyStart = end + SEPARATOR.length;
      if (length > this.maxMessageBytes) {
        const available = Math.min(length, this.buf.length - bodyStart);
        this.skippedHead = this.buf.subarray(bodyStart, bodyStart + Math.min(available, HEAD_BYTES)).toString('utf8');
        this.skippedTotal = length;
        this.skipping = length - available;
        this.buf = this.buf.subarray(bodyStart + available);
        if (this.skipping > 0) {
          this.buf = Buffer.alloc(0);
          return;
        }
        out.push({ kind: 'oversized', bytes: length, head: this.skippedHead });
        continue;
      }
      if (this.buf.length - bodyStart < length) return;
      out.push({ kind: 'message', text: this.buf.subarray(bodyStart, bodyStart + length).toString('utf8'), bytes: length });
      this.buf = this.buf.subarray(bodyStart + length);
    }
  }

  /** A buffer that is not a header: one bare JSON message when it looks complete. */
  private bare(out: Inbound[]): void {
    let last = this.buf.length - 1;
    while (last >= 0 && isSpace(this.buf[last]!)) last--;
    if (this.buf[0] === 0x7b /* { */ && this.buf[last] === 0x7d /* } */) {
      const bytes = last + 1;
      if (bytes > this.maxMessageBytes) out.push({ kind: 'oversized', bytes, head: this.buf.subarray(0, HEAD_BYTES).toString('utf8') });
      else out.push({ kind: 'message', text: this.buf.subarray(0, bytes).toString('utf8'), bytes });
      this.buf = Buffer.alloc(0);
      return;
    }
    if (this.buf.length > this.maxMessageBytes) {
      out.push({ kind: 'garbage', bytes: this.buf.length });
      this.buf = Buffer.alloc(0);
    }
  }

  /** Drops a header block without a usable length, up to the next `Content-Length:`. */
  private skipBadHeader(): void {
    const next = indexOfHeader(this.buf, 1);
    this.buf = next < 0 ? Buffer.alloc(0) : this.buf.subarray(next);
  }
}

function contentLength(header: string): number | undefined {
  for (const line of header.split('\r\n')) {
    const m = /^content-length:\s*(\d{1,15})\s*$/i.exec(line);
    if (m) return Number(m[1]);
  }
  return undefined;
}
