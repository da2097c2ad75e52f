import type uWS from 'uWebSockets.js';

/**
 * Reads a request body from uWebSockets.js with a byte limit, and makes a 413 readable.
 *
 * A server that answers 413 and closes while the client is still sending resets the connection
 * (unread bytes in the receive buffer make the kernel send RST), and the client sees EPIPE or
 * ECONNRESET instead of the answer — about one upload in two with Node's fetch. So an over-limit
 * body is read and thrown away (a lingering close, as nginx does) until the client has sent it
 * all, and only then answered; the discarding is bounded by bytes and by time, after which the
 * answer goes out at once. A body declared larger than the discard bound is refused at once.
 */

export interface BodyLimits {
  /** Largest accepted body. */
  readonly maxBytes: number;
  /** Bytes of an over-limit body read and discarded before the 413 goes out anyway. */
  readonly lingerBytes: number;
  /** Longest time spent discarding an over-limit body. */
  readonly lingerMs: number;
}

export interface BodyCallbacks {
  /** The whole body (`null` when empty). */
  complete(body: Buffer | null): void;
  /** The body is over the limit: answer 413 and close (the client has stopped sending, or the bounds ran out). */
  tooLarge(message: string): void;
}

export function readBody(res: uWS.HttpResponse, declaredLength: number | undefined, limits: BodyLimits, callbacks: BodyCallbacks): void {
  const { maxBytes } = limits;
  let message: string | undefined;
  if (declaredLength !== undefined && declaredLength > maxBytes) {
    message = `Request body too large: ${declaredLength} bytes (max ${maxBytes})`;
    if (declaredLength > limits.lingerBytes) {
      callbacks.tooLarge(message);
      return;
    }
  }
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const refuse = (): void => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    callbacks.tooLarge(message!);
  };
  const startLingering = (): void => {
    timer = setTimeout(refuse, limits.lingerMs);
    timer.unref();
  };
  if (message !== undefined) startLingering();

  const chunks: Buffer[] = [];
  let size = 0;
  res.onData((chunk, isLast) => {
    if (done) return;
    size += chunk.byteLength;
    if (message === undefined && size > maxBytes) {
      message = `Request body too large: more than ${maxBytes} bytes (max ${maxBytes})`;
      chunks.length = 0;
      startLingering();
    }
    if (message !== undefined) {
      if (isLast || size > limits.lingerBytes) refuse();
      return;
    }
    // uWS reuses the chunk's memory after this callback: copy it (once)
    if (chunk.byteLength > 0) chunks.push(Buffer.from(new Uint8Array(chunk)));
    if (isLast) {
      done = true;
      callbacks.complete(size === 0 ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    }
  });
}
