/**
 * The one registry of coded errors. The compiler, the engine, the HTTP API and the LSP all
 * draw their codes from here, so users and tests match on codes, never on message text.
 *
 * Compile codes (E0xx, E900) are the reference's error-code table (language.md §12.1); warnings
 * get W-codes of our own because the reference's warnings carry none.
 */

export const CompileErrorCodes = {
  E001: 'Undefined variable',
  E002: 'Undefined function',
  E003: 'Undefined type',
  E004: 'Undefined namespace',
  E005: 'Ambiguous function',
  E006: 'Invalid projection',
  E007: 'Invalid field access',
  E010: 'Type mismatch',
  E011: 'Incompatible operator',
  E012: 'Incompatible merge',
  E013: 'Unsupported comparison',
  E014: 'Unsupported arithmetic',
  E015: 'General type error',
  E016: 'Invalid option value',
  E017: 'Fallback type mismatch',
  E020: 'Parse error',
  E021: 'Unexpected token',
  E030: 'Duplicate definition',
  E031: 'Circular dependency',
  E900: 'Internal compiler error',
} as const;

export const CompileWarningCodes = {
  W001: "'delay' without 'retry'",
  W002: "'backoff' without 'delay'",
  W003: "'backoff' without 'retry'",
  W004: "'cache_backend' without 'cache'",
  W005: "'batch_timeout' without 'batch'",
  W006: 'High retry count',
  W007: "'window' and 'batch' together",
  W008: "'on_error: wrap' is treated as 'propagate'",
  W009: 'Option has no effect on this call',
} as const;

export type CompileErrorCode = keyof typeof CompileErrorCodes;
export type CompileWarningCode = keyof typeof CompileWarningCodes;
export type DiagnosticCode = CompileErrorCode | CompileWarningCode;

/**
 * Runtime failure codes: what a node or an execution fails with. Stable strings, also used as
 * the `code` of node errors in execution results.
 */
export const RuntimeErrorCodes = {
  ModuleFailed: 'the module raised an error',
  ModuleTimeout: 'an attempt exceeded its timeout',
  InputsTimeout: 'the node did not finish within its inputs timeout',
  RetriesExhausted: 'every attempt failed',
  CircuitOpen: 'the module circuit breaker is open',
  InvalidModuleOutput: 'the module returned a value that does not match its output schema',
  InvalidModuleInput: 'the module was given a value that does not match its input schema',
  ModuleNotFound: 'no module with that name is registered',
  WorkerCrashed: 'the worker thread running the module died',
  TransformFailed: 'an inline expression failed',
  DivisionByZero: 'integer division by zero',
  IntegerOverflow: 'an integer result left the exact range of 64-bit integers',
  Cancelled: 'the execution was cancelled',
  ExecutionTimeout: 'the execution exceeded its time limit',
  InputError: 'an input value does not match its declared type',
  QueueFull: 'the scheduler queue is full',
  ShuttingDown: 'the engine is shutting down',
  ResumeConflict: 'another resume of this execution is in progress',
  ResumeInvalid: 'the resume request is not valid for this execution',
  PipelineNotFound: 'the pipeline is not in the store',
  ExecutionNotFound: 'no such execution',
} as const;

export type RuntimeErrorCode = keyof typeof RuntimeErrorCodes;

/** An error raised by the engine or a module, carrying a stable code. */
export class ConstellationError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: RuntimeErrorCode | string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ConstellationError';
    this.code = code;
    this.details = details;
  }
}
