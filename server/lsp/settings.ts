import { z } from 'zod';
import { ConfigError, parseDuration } from '../config.js';

/**
 * Language-server settings, from `CONSTELLATION_LSP_*` variables (validated like the server's
 * configuration: a bad value stops the start with the variable's name):
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | CONSTELLATION_LSP_DEBOUNCE | 300ms | wait after an edit before diagnostics are computed |
 * | CONSTELLATION_LSP_MAX_DOCUMENTS | 1000 | open documents per connection |
 * | CONSTELLATION_LSP_MAX_DOCUMENT_SIZE | 2097152 | bytes per document |
 * | CONSTELLATION_LSP_MAX_MESSAGE_SIZE | 4194304 | bytes per JSON-RPC message |
 * | CONSTELLATION_LSP_MAX_QUEUED | 100 | messages received but not yet handled, per connection |
 * | CONSTELLATION_LSP_MAX_INFLIGHT | 64 | requests being answered, per connection |
 * | CONSTELLATION_LSP_IDLE_TIMEOUT | 10m | a WebSocket without traffic is closed (8 s … 16 min) |
 * | CONSTELLATION_LSP_CLIENT_CHECK | 3s | how often `lsp --stdio` checks that its client process lives |
 *
 * The debounce is shorter than the reference's 500 ms: diagnostics take about a millisecond here.
 */

export interface LspSettings {
  readonly debounceMs: number;
  readonly maxDocuments: number;
  readonly maxDocumentBytes: number;
  readonly maxMessageBytes: number;
  readonly maxQueuedMessages: number;
  readonly maxQueuedBytes: number;
  readonly maxInflightRequests: number;
  readonly idleTimeoutSeconds: number;
  /** How often a stdio server checks that the client process from `initialize` still exists. */
  readonly clientCheckMs: number;
  /** Bytes a WebSocket client may leave unread before further messages to it are dropped. */
  readonly maxOutboundBytes: number;
}

export const DEFAULT_LSP_SETTINGS: LspSettings = {
  debounceMs: 300,
  maxDocuments: 1000,
  maxDocumentBytes: 2 * 1024 * 1024,
  maxMessageBytes: 4 * 1024 * 1024,
  maxQueuedMessages: 100,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxInflightRequests: 64,
  idleTimeoutSeconds: 600,
  clientCheckMs: 3000,
  maxOutboundBytes: 16 * 1024 * 1024,
};

const duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === undefined || ms > 2_147_483_647) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 300ms, 2s or 10m, got '${s}'` });
    return z.NEVER;
  }
  return ms;
});

const count = (min: number) =>
  z.string().transform((s, ctx) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < min) {
      ctx.addIssue({ code: 'custom', message: `expected an integer of at least ${min}, got '${s}'` });
      return z.NEVER;
    }
    return n;
  });

const schema = z.object({
  CONSTELLATION_LSP_DEBOUNCE: duration.optional(),
  CONSTELLATION_LSP_MAX_DOCUMENTS: count(1).optional(),
  CONSTELLATION_LSP_MAX_DOCUMENT_SIZE: count(1).optional(),
  CONSTELLATION_LSP_MAX_MESSAGE_SIZE: count(1024).optional(),
  CONSTELLATION_LSP_MAX_QUEUED: count(1).optional(),
  CONSTELLATION_LSP_MAX_INFLIGHT: count(1).optional(),
  CONSTELLATION_LSP_IDLE_TIMEOUT: duration.optional(),
  CONSTELLATION_LSP_CLIENT_CHECK: duration.optional(),
});

/** The language server's variables (server/config-variables.ts gathers every part's). */
export const LSP_VARIABLES: readonly string[] = Object.keys(schema.shape);

export function loadLspSettings(env: Readonly<Record<string, string | undefined>> = process.env): LspSettings {
  const relevant: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('CONSTELLATION_LSP_') && v !== undefined && v !== '') relevant[k] = v;
  const parsed = schema.safeParse(relevant);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0] ?? 'environment')}: ${i.message}`));
  const e = parsed.data;
  const d = DEFAULT_LSP_SETTINGS;
  const maxDocumentBytes = e.CONSTELLATION_LSP_MAX_DOCUMENT_SIZE ?? d.maxDocumentBytes;
  // a message carries a whole document, JSON-escaped: never smaller than twice the document limit
  const maxMessageBytes = Math.max(e.CONSTELLATION_LSP_MAX_MESSAGE_SIZE ?? d.maxMessageBytes, 2 * maxDocumentBytes);
  return {
    ...d,
    debounceMs: e.CONSTELLATION_LSP_DEBOUNCE ?? d.debounceMs,
    maxDocuments: e.CONSTELLATION_LSP_MAX_DOCUMENTS ?? d.maxDocuments,
    maxDocumentBytes,
    maxMessageBytes,
    maxQueuedMessages: e.CONSTELLATION_LSP_MAX_QUEUED ?? d.maxQueuedMessages,
    maxQueuedBytes: Math.max(d.maxQueuedBytes, 4 * maxMessageBytes),
    maxInflightRequests: e.CONSTELLATION_LSP_MAX_INFLIGHT ?? d.maxInflightRequests,
    // uWebSockets.js takes 8 … 960 seconds
    clientCheckMs: Math.max(10, e.CONSTELLATION_LSP_CLIENT_CHECK ?? d.clientCheckMs),
    idleTimeoutSeconds: Math.min(960, Math.max(8, Math.round((e.CONSTELLATION_LSP_IDLE_TIMEOUT ?? d.idleTimeoutSeconds * 1000) / 1000))),
  };
}
