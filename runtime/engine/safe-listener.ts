import type { ExecutionListener } from './spi.js';

/**
 * Wraps a listener so that a callback that throws is logged and ignored: observability must
 * never fail or stall an execution, and an exception inside a promise callback of the executor
 * would otherwise end as an unhandled rejection.
 *
 * Callbacks are looked up by name, not with `Object.keys`: a listener written as a class keeps
 * its methods on the prototype, where `Object.keys` does not see them.
 */

/** Every callback of ExecutionListener (the compiler checks the list is complete). */
export const LISTENER_CALLBACKS = [
  'onExecutionStart', 'onModuleStart', 'onModuleComplete', 'onModuleFailed', 'onNodeStateChanged', 'onExecutionComplete', 'onExecutionCancelled', 'onCircuitStateChanged', 'onFrontModuleStall',
] as const satisfies readonly (keyof ExecutionListener)[];

type Callback = (typeof LISTENER_CALLBACKS)[number];
// a callback missing from the list above fails to compile here
const _complete: Record<keyof ExecutionListener, true> = Object.fromEntries(LISTENER_CALLBACKS.map((k) => [k, true])) as Record<Callback, true>;
void _complete;

type AnyCallback = (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) => void;

/** The callback `key` of `listener` (own property or inherited method), called with `listener` as `this`. */
export function callbackOf(listener: ExecutionListener, key: Callback): AnyCallback | undefined {
  const fn = (listener as Record<Callback, unknown>)[key];
  return typeof fn === 'function' ? (fn as AnyCallback) : undefined;
}

export function safeListener(listener: ExecutionListener | undefined, warn: (message: string) => void): ExecutionListener | undefined {
  if (!listener) return undefined;
  const safe: Record<string, unknown> = {};
  for (const key of LISTENER_CALLBACKS) {
    const fn = callbackOf(listener, key);
    if (!fn) continue;
    // fixed arity (callbacks take at most five arguments): no rest array per call on the hot path
    safe[key] = (a: unknown, b: unknown, c: unknown, d: unknown, e5: unknown) => {
      try {
        fn.call(listener, a, b, c, d, e5);
      } catch (e) {
        warn(`execution listener ${key} threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
  }
  return safe as ExecutionListener;
}
