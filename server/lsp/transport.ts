import {
  AbstractMessageReader, AbstractMessageWriter, Disposable, ErrorCodes, Message, type DataCallback, type MessageReader,
  type MessageStrategy, type MessageWriter, type RequestMessage, type ResponseMessage,
} from 'vscode-languageserver-protocol/node';
import type { ErrorCode } from '../../runtime/errors.js';
import { FrameDecoder, frame, type Inbound } from './framing.js';

/**
 * The adapter between a byte or frame channel (a WebSocket, stdio) and `vscode-languageserver`:
 * a MessageReader fed with decoded messages and a MessageWriter that frames them.
 *
 * It also keeps one client from growing the server's memory: at most `maxQueuedMessages` (and
 * `maxQueuedBytes`) received but not yet taken up by the connection, at most
 * `maxInflightRequests` requests being answered, no message over `maxMessageBytes`. A request
 * over a limit gets a JSON-RPC error at once; a notification over a limit is dropped and reported
 * (`onDropped`). What the library cannot see — text that is not JSON, an envelope that is no
 * JSON-RPC message — is answered here with ParseError / InvalidRequest, so no request hangs.
 */

export interface TransportLimits {
  readonly maxMessageBytes: number;
  readonly maxQueuedMessages: number;
  readonly maxQueuedBytes: number;
  readonly maxInflightRequests: number;
}

export interface DroppedMessage {
  readonly method: string | undefined;
  readonly reason: string;
}

class QueueReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | undefined;
  private readonly early: Message[] = [];

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    for (const m of this.early.splice(0)) callback(m);
    return Disposable.create(() => (this.callback = undefined));
  }

  deliver(message: Message): void {
    if (this.callback) this.callback(message);
    else this.early.push(message);
  }

  closed(): void {
    this.fireClose();
  }
}

class FramedWriter extends AbstractMessageWriter implements MessageWriter {
  constructor(private readonly transport: Transport) {
    super();
  }

  async write(message: Message): Promise<void> {
    this.transport.written(message);
    await this.transport.send(frame(JSON.stringify(message)));
  }

  end(): void {}

  closed(): void {
    this.fireClose();
  }
}

/** What a transport writes to: one framed message per call. */
export type FrameSink = (framed: string) => void | Promise<void>;

export class Transport {
  readonly reader = new QueueReader();
  readonly writer: FramedWriter = new FramedWriter(this);
  private readonly decoder: FrameDecoder;
  private readonly sizes = new WeakMap<object, number>();
  private queuedMessages = 0;
  private queuedBytes = 0;
  private readonly inflight = new Set<string | number>();
  private ended = false;
  /** Every message the connection takes off its queue passes here first. */
  readonly messageStrategy: MessageStrategy = {
    handleMessage: (message, next) => {
      const bytes = this.sizes.get(message);
      if (bytes !== undefined) {
        this.queuedMessages--;
        this.queuedBytes -= bytes;
      }
      next(message);
    },
  };

  constructor(
    private readonly sink: FrameSink,
    private readonly limits: TransportLimits,
    private readonly onDropped: (dropped: DroppedMessage) => void,
  ) {
    this.decoder = new FrameDecoder(limits.maxMessageBytes);
  }

  /** Feeds received data (a WebSocket frame, a stdin chunk). */
  receive(chunk: string | Buffer): void {
    if (this.ended) return;
    for (const item of this.decoder.push(chunk)) this.accept(item);
  }

  /** The channel closed: the connection sees the reader close. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.reader.closed();
    this.writer.closed();
  }

  async send(framed: string): Promise<void> {
    if (this.ended) return;
    await this.sink(framed);
  }

  written(message: Message): void {
    if (Message.isResponse(message) && message.id !== null) this.inflight.delete(message.id);
  }

  private accept(item: Inbound): void {
    if (item.kind === 'garbage') {
      this.reply(null, ErrorCodes.ParseError, `Parse error: ${item.bytes} bytes that are no JSON-RPC message`, 'ParseError');
      return;
    }
    if (item.kind === 'oversized') {
      const { id, method } = sniff(item.head);
      const reason = `message of ${item.bytes} bytes is over the limit of ${this.limits.maxMessageBytes} bytes`;
      if (id !== undefined) this.reply(id, ErrorCodes.InvalidRequest, `Request too large: ${reason}`, 'PayloadTooLarge');
      else this.onDropped({ method, reason });
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(item.text);
    } catch (e) {
      this.reply(null, ErrorCodes.ParseError, `Parse error: ${e instanceof Error ? e.message : String(e)}`, 'ParseError');
      return;
    }
    const problem = envelopeProblem(parsed);
    if (problem) {
      const id = typeof parsed === 'object' && parsed !== null && 'id' in parsed && (typeof parsed.id === 'string' || typeof parsed.id === 'number') ? parsed.id : null;
      this.reply(id, ErrorCodes.InvalidRequest, `Invalid request: ${problem}`, 'InvalidEnvelope');
      return;
    }
    const message = parsed as Message;
    const isRequest = Message.isRequest(message);
    const method = isRequest || Message.isNotification(message) ? (message as RequestMessage).method : undefined;
    if (this.queuedMessages >= this.limits.maxQueuedMessages || this.queuedBytes + item.bytes > this.limits.maxQueuedBytes || (isRequest && this.inflight.size >= this.limits.maxInflightRequests)) {
      const reason = `the server is busy with ${this.queuedMessages} queued messages and ${this.inflight.size} requests of this connection`;
      if (isRequest) this.reply((message as RequestMessage).id, LSP_SERVER_BUSY, `Server busy: ${reason}; retry later`, 'QueueFull');
      else if (method !== undefined) this.onDropped({ method, reason });
      return;
    }
    if (isRequest && (message as RequestMessage).id !== null) this.inflight.add((message as RequestMessage).id as string | number);
    this.queuedMessages++;
    this.queuedBytes += item.bytes;
    this.sizes.set(message, item.bytes);
    this.reader.deliver(message);
  }

  /** An error reply to a message the connection never sees. */
  private reply(id: string | number | null, code: number, message: string, errorCode: ErrorCode): void {
    const response: ResponseMessage = { jsonrpc: '2.0', id, error: { code, message, data: { code: errorCode } } };
    void this.send(frame(JSON.stringify(response))).catch(() => {});
  }
}

/** JSON-RPC's "server busy" reply for a request the connection has no room for (RequestFailed). */
const LSP_SERVER_BUSY = -32803;

/** What is wrong with a JSON value as a JSON-RPC message, if anything. */
function envelopeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a message must be a JSON object (batches are not supported)';
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== undefined && m.jsonrpc !== '2.0') return `"jsonrpc" must be "2.0"`;
  if ('method' in m) {
    if (typeof m.method !== 'string') return '"method" must be a string';
    if ('id' in m && typeof m.id !== 'string' && typeof m.id !== 'number') return '"id" must be a string or a number';
    return undefined;
  }
  if ('id' in m && ('result' in m || 'error' in m)) return undefined; // a response to a server request
  return 'neither a request, a notification nor a response';
}

/** The id and method of a message from its first bytes (for one too large to parse). */
function sniff(head: string): { id: string | number | undefined; method: string | undefined } {
  const id = /"id"\s*:\s*(?:(-?\d+)|"((?:[^"\\]|\\.){0,200})")/.exec(head);
  const method = /"method"\s*:\s*"([^"]{1,200})"/.exec(head);
  return { id: id ? (id[1] !== undefined ? Number(id[1]) : id[2]) : undefined, method: method?.[1] };
}
