import type { ErrorCode } from './error-codes.js';

/**
 * The coded error of the compiler, the engine and modules. Its code comes from the registry in
 * error-codes.ts (message templates and HTTP statuses live there); the message is the specific
 * text of this occurrence.
 */

export {
  ApiErrorCodes, CompileErrorCodes, CompileWarningCodes, ERROR_CODES, RuntimeErrorCodes, formatError, httpStatus, isErrorCode,
  type ApiErrorCode, type CompileErrorCode, type CompileWarningCode, type DiagnosticCode, type ErrorCode, type ErrorSpec, type RuntimeErrorCode,
} from './error-codes.js';

/** An error raised by the engine or a module, carrying a registered code. */
export class ConstellationError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ConstellationError';
    this.code = code;
    this.details = details;
  }
}

/**
 * Codes of the language server's refusals, carried in the `data.code` of a JSON-RPC error (the
 * JSON-RPC `code` stays the protocol's: -32700, -32600, -32601, -32602, -32603, -32803).
 */
export const LspErrorCodes = {
  ParseError: 'the message is not JSON',
  InvalidEnvelope: 'the JSON is not a JSON-RPC message',
  MessageTooLarge: 'the message is over the size limit',
  ServerBusy: 'the connection has too many messages waiting',
  MethodNotFound: 'no such method',
  InvalidParams: 'the params do not match the method',
  ShutDown: 'the client already asked the server to shut down',
  DocumentTooLarge: 'the document is over the size limit',
  TooManyDocuments: 'the connection has the most open documents allowed',
  DocumentNotOpen: 'the document was not opened on this connection',
  Forbidden: 'the API key of the connection lacks the role the method needs',
  RenameRefused: 'the rename would not be valid',
  InternalError: 'the handler failed',
} as const;

export type LspErrorCode = keyof typeof LspErrorCodes;

