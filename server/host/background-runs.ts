import type { LocalExecutionControl } from '../../runtime/engine/execution-control.js';
import type { AttachedListener } from './listener.js';

/**
 * Asynchronous runs (`"async": true`) and step-through sessions outlive the request that
 * started them, so the HTTP drain does not wait for them: this listener does. Draining waits
 * for every background run up to the deadline (after it, the server cancels what still runs);
 * closing stops the step-through sessions.
 */
export function backgroundRunsListener(control: LocalExecutionControl): AttachedListener {
  return {
    name: 'background runs',
    async start(): Promise<void> {},
    async drain(deadline: number): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        timer.unref();
      });
      await Promise.race([control.idle(), late]);
      clearTimeout(timer);
    },
    async close(): Promise<void> {
      control.close();
    },
  };
}
