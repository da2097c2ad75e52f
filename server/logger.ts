import { pino, type Logger } from 'pino';

/**
 * Logs: pino JSON lines (one object per line, with `requestId`/`executionId` fields where they
 * apply); a readable single-line format when attached to a terminal or asked for. Never logs
 * API keys or CORS origins.
 */

export type { Logger };

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A minimal pretty printer (no extra dependency): `12:34:56.789 INFO  message key=value`. */
function prettyStream(out: NodeJS.WritableStream) {
  return {
    write(line: string): void {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const { time, level, msg, pid, hostname, ...rest } = o;
      void pid;
      void hostname;
      const t = new Date(Number(time)).toISOString().slice(11, 23);
      const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      out.write(`${t} ${(LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${fields ? ' ' + fields : ''}\n`);
    },
  };
}

export function createLogger(options: { level: string; format: 'json' | 'pretty'; destination?: NodeJS.WritableStream }): Logger {
  const destination = options.destination ?? process.stdout;
  const base = { level: options.level, base: undefined, timestamp: pino.stdTimeFunctions.epochTime };
  if (options.format === 'pretty') return pino(base, prettyStream(destination));
  return pino({ ...base, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
