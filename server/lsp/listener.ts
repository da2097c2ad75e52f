import type { AttachedListener, ServerHost } from '../host/listener.js';
import type { Logger } from '../logger.js';
import { LanguageSession } from './session.js';
import type { LspSettings } from './settings.js';

/**
 * `/lsp`: the language server on the HTTP port, one session per WebSocket. The upgrade passes the
 * server's middleware (CORS, rate limit, API keys — as a header, `?token=` or a
 * `Sec-WebSocket-Protocol` value, since editors cannot always set headers); any role may connect,
 * and running pipelines needs the Execute or Admin role. Frames carry LSP base-protocol messages
 * (framing.ts). A closed socket releases its session; a session that ends (`exit`) closes its
 * socket; nothing here touches another connection or the process.
 */

const PATH = '/lsp';

export class LspListener implements AttachedListener {
  readonly name = 'lsp';
  private readonly sessions = new Set<LanguageSession>();
  private logger: Logger | undefined;

  constructor(private readonly settings: LspSettings) {}

  get connections(): number {
    return this.sessions.size;
  }

  async start(host: ServerHost): Promise<void> {
    const logger = (this.logger = host.logger);
    const engine = host.context.engine;
    host.webSocket({
      path: PATH,
      idleTimeoutSeconds: this.settings.idleTimeoutSeconds,
      // a frame somewhat over the message limit still arrives, to be answered with an error
      maxPayloadBytes: this.settings.maxMessageBytes + 64 * 1024,
      maxBackpressureBytes: this.settings.maxOutboundBytes,
      protocols: ['lsp'],
      open: (conn) => {
        const peer = { requestId: conn.request.requestId, transport: 'websocket' };
        let dropped = 0;
        const session = new LanguageSession(
          (framed) => {
            if (conn.closed) return;
            if (conn.bufferedAmount > this.settings.maxOutboundBytes) {
              // the client does not read: drop rather than buffer without bound
              if (++dropped % 100 === 1) logger.warn({ ...peer, dropped }, 'lsp: client is not reading; outgoing messages dropped');
              return;
            }
            conn.send(framed, false);
          },
          {
            engine,
            executions: host.context.executions,
            functions: () => engine.functions,
            settings: this.settings,
            logger,
            canExecute: conn.request.role === undefined || conn.request.role === 'Admin' || conn.request.role === 'Execute',
            watchProcessId: false,
            peer,
            onEnd: () => {
              this.sessions.delete(session);
              conn.end(1000, 'exit');
            },
          },
        );
        this.sessions.add(session);
        conn.state = session;
        logger.debug(peer, 'lsp: connection opened');
      },
      message: (conn, data, isBinary) => {
        // binary frames carry no LSP traffic
        if (!isBinary) (conn.state as LanguageSession).receive(data);
      },
      close: (conn) => {
        const session = conn.state as LanguageSession | undefined;
        if (!session) return;
        this.sessions.delete(session);
        session.closed();
      },
    } satisfies Parameters<ServerHost['webSocket']>[0]);
  }

  /** Editors reconnect; open sessions are ended when the server closes its sockets. */
  async drain(): Promise<void> {}

  async close(): Promise<void> {
    for (const s of [...this.sessions]) s.closed();
    this.sessions.clear();
    this.logger?.debug('lsp: closed');
  }
}

