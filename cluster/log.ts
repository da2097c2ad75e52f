/**
 * The logging surface the cluster layer needs: pino's call shape (`logger.warn({fields}, msg)`),
 * so the server passes its pino logger and tests pass anything with these four methods.
 */
export interface ClusterLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLogger: ClusterLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
