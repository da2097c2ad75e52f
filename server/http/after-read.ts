/**
 * Runs callbacks once the network read that is being parsed now has been parsed to its end.
 *
 * Why: uWebSockets.js parses every request of a read in one go and refuses (closes the
 * connection, aborting the first request) a pipelined request that arrives while an earlier
 * one on the same connection awaits an asynchronous answer. It drains the microtask queue after
 * each callback, so a handler continued from a promise would run — and create an alias, start
 * an execution — *before* the parser reaches the next request and drops the connection. Starting
 * requests with side effects from here instead means they start only after the whole read was
 * parsed, so an aborted request is never performed.
 *
 * One `setImmediate` per batch (the check phase follows the poll phase that read the data),
 * not one per request.
 */
export class AfterRead {
  private pending: (() => void)[] = [];
  private scheduled = false;
  private readonly flush = (): void => {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    for (let i = 0; i < batch.length; i++) batch[i]!();
  };

  run(callback: () => void): void {
    this.pending.push(callback);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }
}
