/**
 * Exit codes of the command-line client and the error type that carries
 * one: any command may throw a CliError; the entry point prints it and exits with its code.
 */

export const EXIT = {
  SUCCESS: 0,
  COMPILE_ERROR: 1,
  RUNTIME_ERROR: 2,
  CONNECTION_ERROR: 3,
  AUTH_ERROR: 4,
  NOT_FOUND: 5,
  CONFLICT: 6,
  USAGE_ERROR: 10,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    /** Extra fields for the `--json` error object. */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError(EXIT.USAGE_ERROR, message);
}

/** The exit code for an HTTP status that is not a success. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.AUTH_ERROR;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 409) return EXIT.CONFLICT;
  return EXIT.RUNTIME_ERROR;
}
