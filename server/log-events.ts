import type { ExecutionListener } from '../runtime/engine/spi.js';
import type { HttpRequest } from './http/types.js';
import type { Logger } from './logger.js';

/**
 * The per-request and per-call log lines (see logger.ts for what each level carries). Each is
 * wired only when its level is enabled, so at the default level the request path pays nothing.
 */

/** DEBUG lines per module call (timing, attempts, cache hit, failures), or `undefined` when DEBUG is off. */
export function moduleLogs(logger: Logger): ExecutionListener | undefined {
  if (!logger.isLevelEnabled('debug')) return undefined;
  return {
    onModuleComplete: (executionId, _nodeId, moduleName, durationMs, info) =>
      logger.debug({ executionId, module: moduleName, durationMs, attempts: info.attempts, cacheHit: info.cacheHit }, 'module call completed'),
    onModuleFailed: (executionId, _nodeId, moduleName, error) => logger.debug({ executionId, module: moduleName, code: error.code, error: error.message }, 'module call failed'),
  };
}

/** A TRACE line per answered request, or `undefined` when TRACE is off. */
export function requestLog(logger: Logger): ((req: HttpRequest, status: number, durationMs: number, route: string) => void) | undefined {
  if (!logger.isLevelEnabled('trace')) return undefined;
  return (req, status, durationMs, route) => logger.trace({ requestId: req.requestId, method: req.method, path: req.path, route, status, durationMs }, 'request');
}
