import type { ExecutionListener } from '../engine/spi.js';

/**
 * Live execution events (the dashboard's WebSocket; a cluster bridge later): one hub per
 * process, fed by the engine's execution listener, read by subscribers that watch one
 * execution or all of them.
 *
 * Interest-gated: an event object is built only when someone watches its execution, so
 * executions nobody watches cost one map lookup per callback (with no subscriber at all, one
 * integer comparison).
 *
 * Shaped for a cluster bridge (which lives in cluster/ and must not depend on the server):
 * - it subscribes like any client, with an `origin` so that events it publishes into the hub
 *   (received from other instances) are not handed back to it;
 * - `onInterest` tells it when local watchers of an execution (or of all executions) come and
 *   go, so it can subscribe to the other instances' events only while someone here watches;
 * - `watch` lets it declare interest on behalf of remote watchers without a sink, so local
 *   executions they watch produce events.
 */

export type ExecutionEvent =
  | { readonly type: 'execution:start'; readonly executionId: string; readonly dagName: string; readonly timestamp: number; readonly origin?: string }
  | { readonly type: 'module:start'; readonly executionId: string; readonly moduleId: string; readonly moduleName: string; readonly timestamp: number; readonly origin?: string }
  | {
      readonly type: 'module:complete'; readonly executionId: string; readonly moduleId: string; readonly moduleName: string;
      readonly durationMs: number; readonly timestamp: number; readonly origin?: string;
    }
  | { readonly type: 'module:failed'; readonly executionId: string; readonly moduleId: string; readonly moduleName: string; readonly error: string; readonly timestamp: number; readonly origin?: string }
  | {
      readonly type: 'execution:complete'; readonly executionId: string; readonly dagName: string; readonly succeeded: boolean;
      readonly durationMs: number; readonly timestamp: number; readonly origin?: string;
    }
  | { readonly type: 'execution:cancelled'; readonly executionId: string; readonly dagName: string; readonly timestamp: number; readonly origin?: string };

export interface EventSubscription {
  /** Stops delivery (idempotent). */
  close(): void;
}

interface Subscriber {
  readonly executionId: string | undefined;
  readonly deliver: ((event: ExecutionEvent) => void) | undefined;
  readonly origin: string | undefined;
}

/** `executionId` undefined = every execution. */
export type InterestListener = (executionId: string | undefined, watched: boolean) => void;

export class ExecutionEventHub {
  private readonly all = new Set<Subscriber>();
  private readonly byExecution = new Map<string, Set<Subscriber>>();
  private readonly interest: InterestListener[] = [];
  private readonly names = new Map<string, string>();
  private count = 0;

  constructor(private readonly warn: (message: string) => void = () => {}) {}

  /** Is anyone watching this execution (its own watchers or watchers of all)? */
  isWatched(executionId: string): boolean {
    return this.count > 0 && (this.all.size > 0 || this.byExecution.has(executionId));
  }

  get subscriberCount(): number {
    return this.count;
  }

  /** Delivers `deliver(event)` for one execution's events, or every execution's when `executionId` is undefined. */
  subscribe(executionId: string | undefined, deliver: (event: ExecutionEvent) => void, origin?: string): EventSubscription {
    return this.add({ executionId, deliver, origin });
  }

  /** Interest without a sink: makes the engine produce events for `executionId` (a bridge forwards them). */
  watch(executionId: string | undefined, origin: string): EventSubscription {
    return this.add({ executionId, deliver: undefined, origin });
  }

  onInterest(listener: InterestListener): () => void {
    this.interest.push(listener);
    return () => {
      const i = this.interest.indexOf(listener);
      if (i >= 0) this.interest.splice(i, 1);
    };
  }

  /**
   * A display name for an execution's `dagName` (the engine reports structural hashes), for
   * an execution the caller starts itself; the returned function forgets it (call it when the
   * run has ended, whatever the outcome).
   */
  nameExecution(executionId: string, dagName: string): () => void {
    this.names.set(executionId, dagName);
    return () => {
      this.names.delete(executionId);
    };
  }

  /** Hands an event to every matching subscriber except those of the event's `origin`. */
  publish(event: ExecutionEvent, origin?: string): void {
    const deliverTo = (subs: Iterable<Subscriber>) => {
      for (const s of subs) {
        if (!s.deliver || (origin !== undefined && s.origin === origin)) continue;
        try {
          s.deliver(event);
        } catch (e) {
          this.warn(`execution event subscriber failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    };
    if (this.all.size > 0) deliverTo([...this.all]);
    const own = this.byExecution.get(event.executionId);
    if (own) deliverTo([...own]);
  }

  /** The engine's feed (combine it with the other listeners of the engine). */
  listener(): ExecutionListener {
    const name = (id: string, dagName: string) => this.names.get(id) ?? dagName;
    return {
      onExecutionStart: (executionId, dagName) => {
        if (!this.isWatched(executionId)) return;
        this.publish({ type: 'execution:start', executionId, dagName: name(executionId, dagName), timestamp: Date.now() });
      },
      onModuleStart: (executionId, nodeId, moduleName) => {
        if (!this.isWatched(executionId)) return;
        this.publish({ type: 'module:start', executionId, moduleId: String(nodeId), moduleName, timestamp: Date.now() });
      },
      onModuleComplete: (executionId, nodeId, moduleName, durationMs) => {
        if (!this.isWatched(executionId)) return;
        this.publish({ type: 'module:complete', executionId, moduleId: String(nodeId), moduleName, durationMs, timestamp: Date.now() });
      },
      onModuleFailed: (executionId, nodeId, moduleName, error) => {
        if (!this.isWatched(executionId)) return;
        this.publish({ type: 'module:failed', executionId, moduleId: String(nodeId), moduleName, error: error.message, timestamp: Date.now() });
      },
      onExecutionComplete: (executionId, dagName, succeeded, durationMs) => {
        if (!this.isWatched(executionId)) return;
        this.publish({ type: 'execution:complete', executionId, dagName: name(executionId, dagName), succeeded, durationMs, timestamp: Date.now() });
      },
      onExecutionCancelled: (executionId, dagName) => {
        if (!this.isWatched(executionId)) return;
        this.publish({ type: 'execution:cancelled', executionId, dagName: name(executionId, dagName), timestamp: Date.now() });
      },
    };
  }

  private add(s: Subscriber): EventSubscription {
    let first = false;
    if (s.executionId === undefined) {
      first = this.all.size === 0;
      this.all.add(s);
    } else {
      let set = this.byExecution.get(s.executionId);
      if (!set) {
        set = new Set();
        this.byExecution.set(s.executionId, set);
        first = true;
      }
      set.add(s);
    }
    this.count++;
    if (first) this.announce(s.executionId, true);
    let open = true;
    return {
      close: () => {
        if (!open) return;
        open = false;
        this.count--;
        let last = false;
        if (s.executionId === undefined) {
          this.all.delete(s);
          last = this.all.size === 0;
        } else {
          const set = this.byExecution.get(s.executionId);
          set?.delete(s);
          if (set && set.size === 0) {
            this.byExecution.delete(s.executionId);
            last = true;
          }
        }
        if (last) this.announce(s.executionId, false);
      },
    };
  }

  private announce(executionId: string | undefined, watched: boolean): void {
    for (const l of this.interest) {
      try {
        l(executionId, watched);
      } catch (e) {
        this.warn(`execution interest listener failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
}
