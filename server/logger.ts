import { threadId } from 'node:worker_threads';
import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Logs in the fields operators of the reference expect (its JSON encoder's): one JSON object per
 * line with `@timestamp` (ISO-8601 UTC), `@version` "1", `level` (`INFO`, …), `logger_name`,
 * `thread_name`, `message`, plus `requestId` / `executionId` / `pipelineName` where they apply.
 * pino renames its own fields at no cost per line (the timestamp and level are written as text).
 * JSON is the default when stdout is not a terminal; on a terminal (or with
 * CONSTELLATION_LOG_FORMAT=text) lines read `12:34:56.789 [main] INFO  constellation.server - message key=value`.
 *
 * What each level carries: TRACE one line per request and per compilation; DEBUG one summary line
 * per execution and per module call (timings, attempts, cache hits); INFO lifecycle (start,
 * drain, stop); WARN slow or degraded operation (a front module stalling the loop, a store that
 * cannot persist); ERROR failures, prefixed with the request id (`[<id>] …`). The per-request and
 * per-execution lines cost nothing at the default level: callers test the level first. Never
 * logs API keys or CORS origins.
 */

export type { Logger };

/** `logger_name` of the server's own lines. */
export const SERVER_LOGGER = 'constellation.server';

const HIDDEN = new Set(['@timestamp', '@version', 'level', 'message', 'logger_name', 'thread_name']);

/** The readable line format. */
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
      const t = String(o['@timestamp'] ?? '').slice(11, 23);
      let fields = '';
      for (const k in o) if (!HIDDEN.has(k)) fields += ` ${k}=${typeof o[k] === 'string' ? o[k] : JSON.stringify(o[k])}`;
      out.write(`${t} [${String(o['thread_name'])}] ${String(o['level']).padEnd(5)} ${String(o['logger_name'])} - ${String(o['message'] ?? '')}${fields}\n`);
    },
  };
}

export function createLogger(options: { level: string; format: 'json' | 'pretty'; destination?: NodeJS.WritableStream }): Logger {
  const destination = options.destination ?? process.stdout;
  const config: LoggerOptions = {
    level: options.level,
    messageKey: 'message',
    base: { '@version': '1', logger_name: SERVER_LOGGER, thread_name: threadId === 0 ? 'main' : `worker-${threadId}` },
    timestamp: () => `,"@timestamp":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label.toUpperCase() }) },
  };
  return options.format === 'pretty' ? pino(config, prettyStream(destination)) : pino(config, destination);
}
