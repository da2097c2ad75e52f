import {
  createConnection, ErrorCodes, MessageType, NotificationType, ParameterStructures, ShowMessageNotification, RequestType, RequestType0, ResponseError,
  TextDocumentSyncKind, type Connection, type InitializeResult, type WatchDog,
} from 'vscode-languageserver';
import { createProtocolConnection } from 'vscode-languageserver-protocol/node';
import type { z } from 'zod';
import type { FunctionRegistry } from '../../runtime/compiler/registry.js';
import type { Engine } from '../../runtime/engine/engine.js';
import type { ExecutionControl } from '../../runtime/engine/execution-control.js';
import type { ErrorCode } from '../../runtime/errors.js';
import {
  codeActionsFor, completionsAt, definitionAt, diagnosticsFor, documentSymbols, encodeTokens, highlightsAt, hoverAt, prepareRenameAt,
  referencesAt, renameAt, RenameRefused, SEMANTIC_TOKENS_LEGEND, semanticTokensOf, SIGNATURE_TRIGGERS, signatureHelpAt, tokensEdits,
  type Analysis,
} from '../language-service/index.js';
import type { Logger } from '../logger.js';
import { CustomMethods } from './custom-methods.js';
import { DocumentStore, type DocumentRefusal } from './documents.js';
import * as P from './params.js';
import type { LspSettings } from './settings.js';
import { Transport, type DroppedMessage, type FrameSink } from './transport.js';

/**
 * One language-server connection: a `vscode-languageserver` connection over a Transport, with
 * its own documents, debounce timers and step-through sessions, all released when it ends.
 *
 * It ends when the channel closes, when the client sends `exit`, or (stdio only) when the
 * client's process dies — and only this connection ends: nothing here stops the process. The
 * stock Node entry point of `vscode-languageserver` would call `process.exit` in each of those
 * cases, so this builds the connection from the library's transport-neutral parts with its own
 * watchdog.
 *
 * After `shutdown`, every request but `exit` is refused with InvalidRequest, as the LSP
 * specification says. Requests are served before `initialize` (the reference does).
 */

export interface SessionOptions {
  readonly engine: Engine;
  /** Step-through sessions (server-wide: a cluster routes them to their owner). */
  readonly executions: ExecutionControl;
  /** The registry completion and hover read, at the time of each request (modules come and go). */
  readonly functions: () => FunctionRegistry;
  readonly settings: LspSettings;
  readonly logger: Logger;
  /** May this client run pipelines (executePipeline, step-through)? */
  readonly canExecute: boolean;
  /** Watch the client's `processId` from `initialize` (a local client: stdio). */
  readonly watchProcessId: boolean;
  /** Called once when the session has ended; `exitCode` 0 after a clean shutdown. */
  readonly onEnd?: (exitCode: number) => void;
  /** Log fields naming the peer. */
  readonly peer?: Record<string, unknown>;
}

/** Requests slower than this, and notifications slower than a fifth of it, are logged. */
const SLOW_REQUEST_MS = 50;
const SERVER_VERSION = '0.1.0';

type Handler<S extends z.ZodType> = (params: z.output<S>) => unknown;

export class LanguageSession {
  readonly transport: Transport;
  private readonly connection: Connection;
  private readonly documents: DocumentStore;
  private readonly custom: CustomMethods;
  /** Pending validations by URI: how to cancel each. */
  private readonly timers = new Map<string, () => void>();
  private processTimer: NodeJS.Timeout | undefined;
  private shutdownReceived = false;
  private ended = false;
  private tokenCounter = 0;

  constructor(sink: FrameSink, private readonly options: SessionOptions) {
    const s = options.settings;
    this.transport = new Transport(sink, s, (d) => this.dropped(d));
    this.documents = new DocumentStore(s.maxDocuments, s.maxDocumentBytes);
    this.custom = new CustomMethods(options.engine, options.executions, { text: (uri) => this.documents.get(uri)?.getText() });
    const watchDog: WatchDog = {
      shutdownReceived: false,
      initialize: (params) => this.watchClientProcess(params.processId),
      exit: (code) => this.end(code),
    };
    this.connection = createConnection(
      // the library's logger reports protocol problems to the client (window/logMessage)
      (logger) => createProtocolConnection(this.transport.reader, this.transport.writer, logger, { messageStrategy: this.transport.messageStrategy }),
      watchDog,
    );
    this.transport.reader.onClose(() => this.end(this.shutdownReceived ? 0 : 1));
    this.register();
    this.connection.listen();
  }

  /** Data from the channel. */
  receive(chunk: string | Buffer): void {
    this.transport.receive(chunk);
  }

  /** The channel closed (socket dropped, stdin ended): release everything. */
  closed(): void {
    this.end(this.shutdownReceived ? 0 : 1);
  }

  // ---------------------------------------------------------------- lifecycle

  private end(code: number): void {
    if (this.ended) return;
    this.ended = true;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    if (this.processTimer) clearInterval(this.processTimer);
    void this.custom.dispose();
    this.documents.clear();
    this.transport.end();
    try {
      this.connection.dispose();
    } catch {
      // already disposed by the library
    }
    this.options.onEnd?.(code);
  }

  private watchClientProcess(pid: number | null | undefined): void {
    if (!this.options.watchProcessId || typeof pid !== 'number' || this.processTimer) return;
    this.processTimer = setInterval(() => {
      try {
        process.kill(pid, 0);
      } catch {
        this.options.logger.info({ ...this.options.peer, pid }, 'lsp: the client process is gone; ending its connection');
        this.end(this.shutdownReceived ? 0 : 1);
      }
    }, this.options.settings.clientCheckMs);
    this.processTimer.unref();
  }

  private dropped(d: DroppedMessage): void {
    this.options.logger.warn({ ...this.options.peer, method: d.method }, `lsp: notification dropped: ${d.reason}`);
    this.showError(`Constellation: ${d.method ?? 'a message'} was dropped: ${d.reason}`);
  }

  /** `window/showMessage` (a notification: the window API's helper sends a request the client may not handle). */
  private showError(message: string): void {
    if (!this.ended) void this.connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Error, message }).catch(() => {});
  }

  private refuse(refusal: DocumentRefusal, method: string): void {
    this.options.logger.warn({ ...this.options.peer, method, code: refusal.code }, `lsp: ${refusal.message}`);
    this.showError(`Constellation: ${refusal.message}`);
  }

  // ---------------------------------------------------------------- registration

  private static error(code: number, message: string, errorCode: ErrorCode): ResponseError<{ code: ErrorCode }> {
    return new ResponseError(code, message, { code: errorCode });
  }

  /** A request with validated params, refused after shutdown, timed, with failures reported as InternalError. */
  private request<S extends z.ZodType>(method: string, schema: S | undefined, handler: Handler<S>, needsExecute = false): void {
    const run = async (raw: unknown): Promise<unknown> => {
      if (this.shutdownReceived) throw LanguageSession.error(ErrorCodes.InvalidRequest, `Server is shut down: ${method} refused (only 'exit' is accepted)`, 'ShutDown');
      if (needsExecute && !this.options.canExecute) {
        throw LanguageSession.error(ErrorCodes.InvalidRequest, `${method} needs an API key with the Execute or Admin role`, 'Forbidden');
      }
      let params: unknown = raw;
      if (schema) {
        if (raw === undefined || raw === null) throw LanguageSession.error(ErrorCodes.InvalidParams, 'Missing params', 'InvalidParams');
        const parsed = schema.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw LanguageSession.error(ErrorCodes.InvalidParams, `Invalid params: ${issue.path.join('.') || 'params'}: ${issue.message}`, 'InvalidParams');
        }
        params = parsed.data;
      }
      const started = performance.now();
      try {
        return await handler(params as z.output<S>);
      } catch (e) {
        if (e instanceof ResponseError) throw e;
        if (e instanceof RenameRefused) throw LanguageSession.error(ErrorCodes.InvalidRequest, e.message, 'RenameRefused');
        this.options.logger.error({ ...this.options.peer, method, err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e) }, 'lsp: handler failed');
        throw LanguageSession.error(ErrorCodes.InternalError, `Internal error in ${method}: ${e instanceof Error ? e.message : String(e)}`, 'InternalError');
      } finally {
        const ms = performance.now() - started;
        if (ms > SLOW_REQUEST_MS) this.options.logger.info({ ...this.options.peer, method, ms: Math.round(ms) }, 'lsp: slow request');
      }
    };
    if (schema) this.connection.onRequest(new RequestType<unknown, unknown, unknown>(method, ParameterStructures.byName), (params) => run(params));
    else this.connection.onRequest(new RequestType0<unknown, unknown>(method), () => run(undefined));
  }

  /** A notification: malformed params are logged and ignored. */
  private notification<S extends z.ZodType>(method: string, schema: S, handler: Handler<S>): void {
    this.connection.onNotification(new NotificationType<unknown>(method), (raw) => {
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        this.options.logger.warn({ ...this.options.peer, method, problem: parsed.error.issues[0]?.message }, 'lsp: malformed notification ignored');
        return;
      }
      const started = performance.now();
      handler(parsed.data);
      const ms = performance.now() - started;
      if (ms > SLOW_REQUEST_MS / 5) this.options.logger.info({ ...this.options.peer, method, ms: Math.round(ms) }, 'lsp: slow notification');
    });
  }

  private analysis(uri: string): Analysis | undefined {
    return this.documents.analysis(uri, this.options.functions());
  }

  private register(): void {
    const c = this.connection;
    c.onInitialize((): InitializeResult => this.capabilities());
    c.onShutdown(() => {
      this.shutdownReceived = true;
    });
    c.onRequest((method) => {
      if (this.shutdownReceived) throw LanguageSession.error(ErrorCodes.InvalidRequest, `Server is shut down: ${method} refused (only 'exit' is accepted)`, 'ShutDown');
      throw LanguageSession.error(ErrorCodes.MethodNotFound, `Method not found: ${method}`, 'MethodNotFound');
    });

    // documents
    this.notification('textDocument/didOpen', P.DidOpenParams, ({ textDocument: d }) => {
      const refusal = this.documents.open(d.uri, d.languageId, d.version, d.text);
      if (refusal) return this.refuse(refusal, 'textDocument/didOpen');
      this.schedule(d.uri);
    });
    this.notification('textDocument/didChange', P.DidChangeParams, ({ textDocument: d, contentChanges }) => {
      if (!this.documents.get(d.uri)) return;
      const version = d.version ?? this.documents.get(d.uri)!.version + 1;
      const refusal = this.documents.change(d.uri, version, contentChanges);
      if (refusal) return this.refuse(refusal, 'textDocument/didChange');
      this.schedule(d.uri);
    });
    this.notification('textDocument/didSave', P.DidSaveParams, ({ textDocument: d }) => this.validateNow(d.uri));
    this.notification('textDocument/didClose', P.DidCloseParams, ({ textDocument: d }) => {
      this.cancel(d.uri);
      if (this.documents.close(d.uri)) void c.sendDiagnostics({ uri: d.uri, diagnostics: [] });
    });

    // language features
    const at = <T>(uri: string, f: (a: Analysis) => T, otherwise: T): T => {
      const a = this.analysis(uri);
      return a ? f(a) : otherwise;
    };
    this.request('textDocument/completion', P.TextDocumentPositionParams, (p) => at(p.textDocument.uri, (a) => completionsAt(a, p.position), { isIncomplete: false, items: [] }));
    this.request('textDocument/hover', P.TextDocumentPositionParams, (p) => at(p.textDocument.uri, (a) => hoverAt(a, p.position), null));
    this.request('textDocument/signatureHelp', P.TextDocumentPositionParams, (p) => at(p.textDocument.uri, (a) => signatureHelpAt(a, p.position), null));
    this.request('textDocument/definition', P.TextDocumentPositionParams, (p) => at(p.textDocument.uri, (a) => definitionAt(a, p.textDocument.uri, p.position), null));
    this.request('textDocument/references', P.ReferenceParams, (p) =>
      at(p.textDocument.uri, (a) => referencesAt(a, p.textDocument.uri, p.position, p.context?.includeDeclaration ?? true), []));
    this.request('textDocument/documentHighlight', P.TextDocumentPositionParams, (p) => at(p.textDocument.uri, (a) => highlightsAt(a, p.position), []));
    this.request('textDocument/documentSymbol', P.TextDocumentParams, (p) => at(p.textDocument.uri, documentSymbols, []));
    this.request('textDocument/prepareRename', P.TextDocumentPositionParams, (p) => at(p.textDocument.uri, (a) => prepareRenameAt(a, p.position), null));
    this.request('textDocument/rename', P.RenameParams, (p) => at(p.textDocument.uri, (a) => renameAt(a, p.textDocument.uri, p.position, p.newName), null));
    this.request('textDocument/codeAction', P.CodeActionParams, (p) => at(p.textDocument.uri, (a) => codeActionsFor(a, p.textDocument.uri, p.range), []));
    this.request('textDocument/semanticTokens/full', P.TextDocumentParams, (p) => this.fullTokens(p.textDocument.uri));
    this.request('textDocument/semanticTokens/full/delta', P.DeltaParams, (p) => {
      const previous = this.documents.lastTokens(p.textDocument.uri);
      const full = this.fullTokens(p.textDocument.uri);
      if (!previous || previous.resultId !== p.previousResultId || !full.resultId) return full;
      return { resultId: full.resultId, edits: tokensEdits(previous.data, full.data) };
    });
    this.request('textDocument/semanticTokens/range', P.RangeParams, (p) =>
      at(p.textDocument.uri, (a) => ({ data: encodeTokens(a, semanticTokensOf(a), p.range) }), { data: [] }));

    // constellation/* (the reference's editor extension)
    const m = this.custom;
    this.request('constellation/executePipeline', P.RunParams, (p) => m.executePipeline(p.uri, p.inputs), true);
    this.request('constellation/getInputSchema', P.UriParams, (p) => m.getInputSchema(p.uri));
    this.request('constellation/getDagStructure', P.UriParams, (p) => m.getDagStructure(p.uri));
    this.request('constellation/getDagVisualization', P.VisualizationParams, (p) => m.getDagVisualization(p.uri, p.direction));
    this.request('constellation/getCacheStats', undefined, () => m.getCacheStats());
    this.request('constellation/stepStart', P.RunParams, (p) => m.stepStart(p.uri, p.inputs), true);
    this.request('constellation/stepNext', P.SessionParams, (p) => m.stepNext(p.sessionId), true);
    this.request('constellation/stepContinue', P.SessionParams, (p) => m.stepContinue(p.sessionId), true);
    this.request('constellation/stepStop', P.SessionParams, (p) => m.stepStop(p.sessionId), true);
  }

  private capabilities(): InitializeResult {
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        completionProvider: { triggerCharacters: ['(', ',', ' ', '.', ':'], resolveProvider: false },
        hoverProvider: true,
        signatureHelpProvider: { triggerCharacters: SIGNATURE_TRIGGERS, retriggerCharacters: [','] },
        definitionProvider: true,
        referencesProvider: true,
        documentHighlightProvider: true,
        documentSymbolProvider: true,
        renameProvider: { prepareProvider: true },
        codeActionProvider: { codeActionKinds: ['quickfix'] },
        semanticTokensProvider: { legend: SEMANTIC_TOKENS_LEGEND, full: { delta: true }, range: true },
      },
      serverInfo: { name: 'constellation', version: SERVER_VERSION },
    };
  }

  private fullTokens(uri: string): { resultId?: string; data: number[] } {
    const a = this.analysis(uri);
    if (!a) return { data: [] };
    const data = encodeTokens(a, semanticTokensOf(a));
    const resultId = String(++this.tokenCounter);
    this.documents.rememberTokens(uri, { resultId, data });
    return { resultId, data };
  }

  // ---------------------------------------------------------------- diagnostics

  private schedule(uri: string): void {
    this.cancel(uri);
    const ms = this.options.settings.debounceMs;
    // no debounce: the next turn (a 0 ms timer would wait at least 1 ms)
    if (ms === 0) {
      const immediate = setImmediate(() => this.validateNow(uri));
      this.timers.set(uri, () => clearImmediate(immediate));
    } else {
      const timer = setTimeout(() => this.validateNow(uri), ms);
      this.timers.set(uri, () => clearTimeout(timer));
    }
  }

  private cancel(uri: string): void {
    this.timers.get(uri)?.();
    this.timers.delete(uri);
  }

  private validateNow(uri: string): void {
    this.cancel(uri);
    if (this.ended) return;
    const doc = this.documents.get(uri);
    const a = this.analysis(uri);
    if (!doc || !a) return;
    void this.connection.sendDiagnostics({ uri, version: doc.version, diagnostics: diagnosticsFor(a, uri) }).catch(() => {});
  }
}

