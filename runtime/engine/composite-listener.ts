import { callbackOf, LISTENER_CALLBACKS } from './safe-listener.js';
import type { ExecutionListener } from './spi.js';

/**
 * Several execution listeners as one (metrics, the dashboard's live events, a tracer bridge,
 * the cluster's execution routing): each callback calls every listener that has it, in order.
 * A callback no listener has stays absent, so the engine's `listener?.onX?.()` skips it at the
 * cost of one property read. Wrap the result in `safeListener` so one listener that throws
 * cannot keep the others from hearing the event (the engine does).
 */
export function compositeListener(listeners: readonly (ExecutionListener | undefined)[]): ExecutionListener | undefined {
  const present = listeners.filter((l): l is ExecutionListener => l !== undefined);
  if (present.length <= 1) return present[0];
  const out: Record<string, unknown> = {};
  for (const key of LISTENER_CALLBACKS) {
    const targets = present.filter((l) => callbackOf(l, key) !== undefined);
    if (targets.length === 0) continue;
    const fns = targets.map((l) => callbackOf(l, key)!);
    out[key] = (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) => {
      let failure: unknown;
      for (let i = 0; i < fns.length; i++) {
        try {
          fns[i]!.call(targets[i], a, b, c, d, e);
        } catch (error) {
          failure ??= error;
        }
      }
      // every listener heard the event; the first failure goes on to the caller (safeListener logs it)
      if (failure !== undefined) throw failure;
    };
  }
  return out as ExecutionListener;
}
