import type { ExecutionListener } from './spi.js';

/**
 * Wraps a listener so that a callback that throws is logged and ignored: observability must
 * never fail or stall an execution (runtime.md §11), and an exception inside a promise callback
 * of the executor would otherwise end as an unhandled rejection.
 */
export function safeListener(listener: ExecutionListener | undefined, warn: (message: string) => void): ExecutionListener | undefined {
  if (!listener) return undefined;
  const safe: Record<string, unknown> = {};
  for (const key of Object.keys(listener) as (keyof ExecutionListener)[]) {
    const fn = listener[key];
    if (typeof fn !== 'function') continue;
    // fixed arity (callbacks take at most five arguments): no rest array per call on the hot path
    safe[key] = (a: unknown, b: unknown, c: unknown, d: unknown, e5: unknown) => {
      try {
        (fn as (...x: unknown[]) => void).call(listener, a, b, c, d, e5);
      } catch (e) {
        warn(`execution listener ${key} threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
  }
  return safe as ExecutionListener;
}
