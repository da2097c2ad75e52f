import type { ErrorCode } from './error-codes.js';

/**
 * The coded error of the compiler, the engine and modules. Its code comes from the registry in
 * error-codes.ts (message templates and HTTP statuses live there); the message is the specific
 * text of this occurrence.
 */

export {
  ApiErrorCodes, CompileErrorCodes, CompileWarningCodes, ERROR_CODES, LspErrorCodes, RuntimeErrorCodes, formatError, httpStatus, isErrorCode,
  type ApiErrorCode, type CompileErrorCode, type CompileWarningCode, type DiagnosticCode, type ErrorCode, type ErrorSpec, type LspErrorCode, type RuntimeErrorCode,
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
