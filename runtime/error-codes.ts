/**
 * The registry of error codes: every code the compiler, the engine, the HTTP API and the LSP
 * use, with its message template and the HTTP status it answers with. Nothing else invents a
 * code: `ConstellationError`, the server's error replies and the LSP's JSON-RPC error `data`
 * take an `ErrorCode`, so a typo does not compile. Users and tests match on codes, never on text.
 *
 * Templates name their parameters in braces (`{id}`); `formatError` fills them. Codes whose
 * messages vary too much for one template carry `{detail}`.
 *
 * Compile codes (E0xx, E900) are the reference's error-code table; warnings get W-codes of our
 * own because the reference's warnings carry none. A compile error reaches the API as 400.
 */

export interface ErrorSpec {
  /** The HTTP status of an error reply with this code. */
  readonly status: number;
  readonly message: string;
}

const compile = (message: string): ErrorSpec => ({ status: 400, message });

export const CompileErrorCodes = {
  E001: compile('Undefined variable'),
  E002: compile('Undefined function'),
  E003: compile('Undefined type'),
  E004: compile('Undefined namespace'),
  E005: compile('Ambiguous function'),
  E006: compile('Invalid projection'),
  E007: compile('Invalid field access'),
  E010: compile('Type mismatch'),
  E011: compile('Incompatible operator'),
  E012: compile('Incompatible merge'),
  E013: compile('Unsupported comparison'),
  E014: compile('Unsupported arithmetic'),
  E015: compile('General type error'),
  E016: compile('Invalid option value'),
  E017: compile('Fallback type mismatch'),
  E020: compile('Parse error'),
  E021: compile('Unexpected token'),
  E030: compile('Duplicate definition'),
  E031: compile('Circular dependency'),
  E900: { status: 500, message: 'Internal compiler error' },
} as const satisfies Record<string, ErrorSpec>;

/** Warnings never fail a request; the status is that of the request that carries them. */
const warning = (message: string): ErrorSpec => ({ status: 200, message });

export const CompileWarningCodes = {
  W001: warning("'delay' without 'retry'"),
  W002: warning("'backoff' without 'delay'"),
  W003: warning("'backoff' without 'retry'"),
  W004: warning("'cache_backend' without 'cache'"),
  W005: warning("'batch_timeout' without 'batch'"),
  W006: warning('High retry count'),
  W007: warning("'window' and 'batch' together"),
  W008: warning("'on_error: wrap' is treated as 'propagate'"),
  W009: warning('Option has no effect on this call'),
} as const satisfies Record<string, ErrorSpec>;

/**
 * What a node or an execution fails with: the `code` of node errors in execution results. A
 * failed node does not make the request fail (the run's result says `failed`); the status is
 * what the code answers with when it ends a request on its own.
 */
export const RuntimeErrorCodes = {
  ModuleFailed: { status: 500, message: 'The module raised an error: {detail}' },
  ModuleTimeout: { status: 500, message: 'Operation timed out after {ms}ms' },
  InputsTimeout: { status: 500, message: 'The node did not finish within its inputs timeout' },
  RetriesExhausted: { status: 500, message: 'Every attempt failed: {detail}' },
  CircuitOpen: { status: 500, message: 'The circuit breaker of {module} is open' },
  InvalidModuleOutput: { status: 500, message: 'The module returned a value that does not match its output schema: {detail}' },
  InvalidModuleInput: { status: 500, message: 'The module was given a value that does not match its input schema: {detail}' },
  ModuleNotFound: { status: 500, message: 'No module named {module} is registered' },
  WorkerCrashed: { status: 500, message: 'The worker thread running {module} died: {detail}' },
  /** A module provider (another process, over gRPC) could not be reached, or left during the call. */
  ProviderUnavailable: { status: 500, message: 'The provider of {module} is unavailable: {detail}' },
  ResultTooLarge: { status: 500, message: 'The module returned {bytes} bytes, more than the limit of {limit}' },
  TransformFailed: { status: 500, message: 'An inline expression failed: {detail}' },
  DivisionByZero: { status: 500, message: 'Division by zero in {fn}' },
  IntegerOverflow: { status: 500, message: 'An integer result left the exact range of 64-bit integers: {detail}' },
  Cancelled: { status: 500, message: 'The execution was cancelled' },
  ExecutionTimeout: { status: 500, message: 'The execution exceeded its time limit' },
  InputError: { status: 400, message: 'Input error: {detail}' },
  QueueFull: { status: 429, message: 'Server is overloaded, try again later' },
  ShuttingDown: { status: 503, message: 'Server is shutting down' },
  /** One name for "another resume (or delete) of this execution holds it", engine and API alike. */
  ResumeInProgress: { status: 409, message: "A resume operation is already in progress for execution '{id}'" },
  ResumeInvalid: { status: 400, message: 'Input error: {detail}' },
  PipelineNotFound: { status: 400, message: "Pipeline {hash} of execution '{id}' is no longer in the pipeline store" },
  ExecutionNotFound: { status: 404, message: "Execution '{id}' not found" },
  /** Cancel of an execution that is suspended or has finished: nothing runs to cancel. */
  ExecutionNotRunning: { status: 409, message: "Execution '{id}' is not running ({state}): nothing to cancel" },
  /** A step-through session whose owner instance is gone: its live state died with it. */
  SessionLost: { status: 410, message: "Debug session '{id}' was lost: the instance that ran it is gone" },
  /** This instance already holds its maximum of step-through sessions. */
  TooManyDebugSessions: { status: 429, message: 'This instance already holds {max} debug sessions; stop one or wait for idle ones to expire' },
} as const satisfies Record<string, ErrorSpec>;

/** Codes of the HTTP API's `ErrorResponse` (`{"error": code, "message", "requestId"}`). */
export const ApiErrorCodes = {
  InvalidRequest: { status: 400, message: 'Invalid request: {detail}' },
  InvalidVersion: { status: 400, message: "Version must be an integer, got '{given}'" },
  NoSource: { status: 400, message: 'No source provided and no file path known for this pipeline' },
  CompilationError: { status: 400, message: '{detail}' },
  Unauthorized: { status: 401, message: 'Missing or invalid Authorization header. Expected: Bearer <api-key>' },
  Forbidden: { status: 403, message: "Role '{role}' does not permit {method} requests" },
  NotFound: { status: 404, message: '{detail}' },
  NamespaceNotFound: { status: 404, message: "Namespace '{namespace}' not found or has no functions" },
  MethodNotAllowed: { status: 405, message: '{method} is not allowed on {path}' },
  AliasConflict: { status: 409, message: 'Cannot delete pipeline: aliases [{aliases}] point to it' },
  CanaryConflict: { status: 409, message: "Canary deployment active for pipeline '{name}'" },
  /** A compare-and-set write lost to another writer more often than it retries (cluster). */
  ConcurrentUpdate: { status: 409, message: "Pipeline '{name}' was changed concurrently; retry the request" },
  PayloadTooLarge: { status: 413, message: 'Request body too large: {detail}' },
  /**
   * A run that would suspend (or a resume that would suspend again) while the suspension store is
   * at its limits: nothing stored is evicted to make room; the reply carries the computed outputs
   * and the missing inputs so the client can run again with every input.
   */
  SuspensionStoreFull: { status: 507, message: 'The execution was not stored: {detail}; run it again with every input' },
  RateLimitExceeded: { status: 429, message: 'Too many requests, retry after {seconds} seconds' },
  InternalError: { status: 500, message: 'Unexpected error: {detail}' },
  /**
   * A stored pipeline uses modules this instance lacks (cluster members with different module
   * sets): 503, since another instance may run it; nothing of it ran here.
   */
  ModulesUnavailable: { status: 503, message: "Pipeline '{name}' uses modules this instance does not have: {modules}" },
  /** A shared write that cannot reach the coordination service (cluster): refused, never local-only. */
  CoordinationUnavailable: { status: 503, message: 'The cluster coordination service cannot be reached: {detail}' },
  /** A request forwarded to the instance that owns an execution or session got no answer in time (cluster). */
  OwnerTimeout: { status: 504, message: 'The instance that owns {what} did not answer within {ms} ms' },
  /** A WebSocket route asked for with plain HTTP. */
  UpgradeRequired: { status: 426, message: '{path} is a WebSocket: connect with an Upgrade request' },
} as const satisfies Record<string, ErrorSpec>;

/**
 * Codes of the language server's refusals, in the `data.code` of a JSON-RPC error (its numeric
 * `code` stays the protocol's: -32700, -32600, -32601, -32602, -32603, -32803). The language
 * server also uses Forbidden, InternalError, PayloadTooLarge and QueueFull from the tables above;
 * the status is that of the same refusal over HTTP.
 */
export const LspErrorCodes = {
  ParseError: { status: 400, message: 'Parse error: {detail}' },
  InvalidEnvelope: { status: 400, message: 'Invalid request: {detail}' },
  MethodNotFound: { status: 404, message: 'Method not found: {method}' },
  InvalidParams: { status: 400, message: 'Invalid params: {detail}' },
  ShutDown: { status: 400, message: "Server is shut down: {method} refused (only 'exit' is accepted)" },
  DocumentTooLarge: { status: 413, message: '{uri} is larger than the limit of {limit} bytes; it is not analysed' },
  TooManyDocuments: { status: 429, message: 'Cannot open {uri}: this connection already has {count} open documents (the limit)' },
  DocumentNotOpen: { status: 404, message: '{uri} is not open' },
  RenameRefused: { status: 400, message: '{detail}' },
} as const satisfies Record<string, ErrorSpec>;

export type CompileErrorCode = keyof typeof CompileErrorCodes;
export type CompileWarningCode = keyof typeof CompileWarningCodes;
export type DiagnosticCode = CompileErrorCode | CompileWarningCode;
export type RuntimeErrorCode = keyof typeof RuntimeErrorCodes;
export type ApiErrorCode = keyof typeof ApiErrorCodes;
export type LspErrorCode = keyof typeof LspErrorCodes;
export type ErrorCode = DiagnosticCode | RuntimeErrorCode | ApiErrorCode | LspErrorCode;

/** Every code in one table (the tables share no key: checked by the registry test). */
export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorSpec>> = { ...CompileErrorCodes, ...CompileWarningCodes, ...RuntimeErrorCodes, ...ApiErrorCodes, ...LspErrorCodes };

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** The one mapping from a code to an HTTP status. */
export function httpStatus(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/** The code's template with `{name}` replaced by `params[name]` (unknown names stay as written). */
export function formatError(code: ErrorCode, params: Readonly<Record<string, string | number>> = {}): string {
  return ERROR_CODES[code].message.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole));
}
