import { openSocket } from './api.js';

/**
 * Follows one execution's live events (`/api/v1/executions/events?executionId=…`). `open()`
 * resolves once the subscription stands (so a run started afterwards misses nothing), or false
 * when the socket cannot be opened. An unexpected close is retried up to three times, 1 s ×
 * attempt apart; watching stops at the execution's end event.
 */

export interface LiveEvent {
  readonly type: string;
  readonly executionId: string;
  /** Epoch ms at the server. */
  readonly timestamp: number;
  readonly moduleId?: string;
  readonly moduleName?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly succeeded?: boolean;
}

const OPEN_TIMEOUT_MS = 3000;
const MAX_RECONNECTS = 3;

export class ExecutionWatch {
  private socket: WebSocket | undefined;
  private ended = false;
  private attempts = 0;

  constructor(
    private readonly executionId: string,
    private readonly onEvent: (event: LiveEvent) => void,
    /** The socket is gone for good before the end event (the caller falls back to polling). */
    private readonly onLost: () => void = () => {},
  ) {}

  open(): Promise<boolean> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (ok: boolean) => {
        if (!settled) {
          settled = true;
          resolve(ok);
        }
      };
      let socket: WebSocket;
      try {
        socket = openSocket(`/api/v1/executions/events?executionId=${encodeURIComponent(this.executionId)}`, ['constellation-events']);
      } catch {
        settle(false);
        return;
      }
      this.socket = socket;
      const timer = window.setTimeout(() => settle(false), OPEN_TIMEOUT_MS);
      socket.addEventListener('open', () => {
        window.clearTimeout(timer);
        this.attempts = 0;
        settle(true);
      });
      socket.addEventListener('message', (e) => {
        let event: LiveEvent;
        try {
          event = JSON.parse(String(e.data));
        } catch {
          return;
        }
        if (event.executionId !== this.executionId) return;
        if (event.type === 'execution:complete' || event.type === 'execution:cancelled') this.ended = true;
        this.onEvent(event);
        if (this.ended) this.close();
      });
      socket.addEventListener('close', () => {
        window.clearTimeout(timer);
        settle(false);
        if (this.ended || this.socket !== socket) return;
        if (this.attempts >= MAX_RECONNECTS) {
          this.onLost();
          return;
        }
        this.attempts++;
        window.setTimeout(() => {
          if (!this.ended) void this.open();
        }, 1000 * this.attempts);
      });
    });
  }

  close(): void {
    this.ended = true;
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
  }
}

/** A version-4 UUID, also where `crypto.randomUUID` is missing (plain HTTP on a non-local host). */
export function newExecutionId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
