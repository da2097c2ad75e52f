import { randomUUID } from 'node:crypto';
import { ErrorCode as NatsErrorCode, NatsError, RequestStrategy, type Msg, type Subscription } from 'nats';
import type { Dag } from '../runtime/compiler/dag.js';
import { ConstellationError, formatError } from '../runtime/errors.js';
import type {
  BackgroundRun, CancelOutcome, ExecutionControl, ExecutionListEntry, ExecutionStatusReport, ListedState, LocalExecutionControl, StepAction, StepReply,
} from '../runtime/engine/execution-control.js';
import type { RunVia } from '../runtime/engine/retained-results.js';
import { controlReplyEnvelope, controlRequestEnvelope, stepReplyEnvelope, stepRequestEnvelope } from './control-envelopes.js';
import { EnvelopeTooLargeError } from './envelope.js';
import { coordinationUnavailable } from './errors.js';
import { errorText } from './log.js';
import type { ClusterNode } from './node.js';
import { safeCallback } from './safe-callback.js';

/**
 * Execution-ID routing: any instance answers for any execution or step-through session.
 *
 * - **Running executions** (ids stay random UUIDs): what is not known here is asked of everyone
 *   on `cst.<c>.exec.ctl`; only the instance that runs the execution (or keeps its result)
 *   answers, and the first answer within `controlTimeoutMs` counts. A status for an id that is
 *   stored suspended is answered from the shared store as soon as the store answers, without
 *   waiting for the broadcast to time out (a resume of it running elsewhere shows as suspended
 *   until it ends); a cancel waits for the broadcast first (a resume may be running the stored
 *   execution somewhere) and only then says "not running".
 * - **Step-through sessions** are owner-addressed: session ids are `<instance id>:<uuid>`, and a
 *   call for another instance's session is a request to `cst.<c>.inst.<owner>.step` with a
 *   deadline (in the request; `routeTimeoutMs` from now). No responders means the owner is gone:
 *   410 SessionLost, never a retry elsewhere (the session's live state died with its owner).
 * - `forget` (a resume starting) is published to everyone: whoever keeps a result of that id
 *   from an asynchronous run drops it.
 * - `list` (`GET /executions?status=running,…`) is answered by every instance; the replies are
 *   gathered until each live peer answered or the control timeout passed.
 *
 * Everything else — background runs, starting a session — is this instance's own work.
 * Without a NATS connection the local answers still come; routed calls are 503
 * CoordinationUnavailable.
 */

export const SESSION_SEPARATOR = ':';

/** The owner instance named by a session id, or undefined for an id that names none. */
export function sessionOwner(sessionId: string): string | undefined {
  const i = sessionId.indexOf(SESSION_SEPARATOR);
  return i > 0 ? sessionId.slice(0, i) : undefined;
}

export interface RoutingStats {
  readonly controlRequestsSent: number;
  readonly controlRequestsAnswered: number;
  readonly stepCallsForwarded: number;
  readonly stepCallsServed: number;
  readonly sessionsLost: number;
}

export class ClusterExecutionControl implements ExecutionControl {
  private controlSub: Subscription | undefined;
  private instanceSub: Subscription | undefined;
  private readonly counters = { controlRequestsSent: 0, controlRequestsAnswered: 0, stepCallsForwarded: 0, stepCallsServed: 0, sessionsLost: 0 };

  constructor(private readonly node: ClusterNode, private readonly local: LocalExecutionControl) {}

  /** Session ids for the local control: `<this instance>:<uuid>`. */
  static sessionIds(instanceId: string): () => string {
    return () => `${instanceId}${SESSION_SEPARATOR}${randomUUID()}`;
  }

  /** Subscribes (after each (re)connection; the client keeps plain subscriptions across reconnects). */
  async synchronise(): Promise<void> {
    const nc = this.node.connection.require('execution routing');
    if (!this.controlSub || this.controlSub.isClosed()) {
      this.controlSub = nc.subscribe(this.node.names.executionControl, { callback: safeCallback(this.node.logger, 'control request', (msg) => void this.onControl(msg)) });
    }
    if (!this.instanceSub || this.instanceSub.isClosed()) {
      this.instanceSub = nc.subscribe(this.node.names.instance(this.node.instanceId), { callback: safeCallback(this.node.logger, 'owner-addressed call', (msg) => void this.onInstanceCall(msg)) });
    }
  }

  stats(): RoutingStats {
    return { ...this.counters };
  }

  // ------------------------------------------------------------------ answering

  private async onControl(msg: Msg): Promise<void> {
    const request = this.node.drops.accept(controlRequestEnvelope, msg.data);
    if (!request || request.origin === this.node.instanceId) return;
    try {
      if (request.op === 'forget') {
        this.local.forget(request.executionId);
        return;
      }
      if (request.op === 'list') return this.respond(msg, { entries: this.local.listLocal(request.states ?? []) });
      if (request.op === 'cancel') {
        if (this.local.cancelLocal(request.executionId)) return this.respond(msg, { outcome: 'cancelled' });
        if (this.local.localStatus(request.executionId)) return this.respond(msg, { outcome: 'not-running' });
        return; // not ours: stay silent, the owner answers
      }
      const report = this.local.localStatus(request.executionId);
      if (report) this.respond(msg, { report });
    } catch (e) {
      this.node.logger.warn({ err: errorText(e), op: request.op }, 'cluster: control request not answered');
    }
  }

  private respond(msg: Msg, reply: { report?: ExecutionStatusReport; outcome?: 'cancelled' | 'not-running'; entries?: ExecutionListEntry[] }): void {
    this.counters.controlRequestsAnswered++;
    msg.respond(controlReplyEnvelope.encode(reply));
  }

  private async onInstanceCall(msg: Msg): Promise<void> {
    if (msg.subject !== this.node.names.instance(this.node.instanceId, 'step')) return;
    const call = this.node.drops.accept(stepRequestEnvelope, msg.data);
    if (!call) return;
    if (Date.now() > call.deadline) return; // the caller gave up already
    this.counters.stepCallsServed++;
    let answer;
    try {
      const reply = await this.local.step(call.sessionId, call.action);
      answer = reply ? { reply } : { missing: true };
    } catch (e) {
      answer = { error: e instanceof ConstellationError ? { code: e.code, message: e.message } : { code: 'InternalError' as const, message: errorText(e) } };
    }
    try {
      try {
        msg.respond(stepReplyEnvelope.encode(answer));
      } catch (e) {
        if (!(e instanceof EnvelopeTooLargeError) || !answer.reply?.result) throw e;
        // a result too big for one message: the state goes back, the outputs stay with the owner
        const { result: _dropped, ...rest } = answer.reply;
        msg.respond(stepReplyEnvelope.encode({ reply: rest, truncated: true }));
      }
    } catch (e) {
      // the caller then times out: never an unhandled rejection in the owner
      this.node.logger.warn({ err: errorText(e), sessionId: call.sessionId }, 'cluster: step reply not sent');
    }
  }

  // ------------------------------------------------------------------ asking

  /** The first owner's answer to a broadcast, or undefined when nobody answers in time. */
  private async broadcast(op: 'status' | 'cancel', executionId: string): Promise<{ report?: ExecutionStatusReport; outcome?: 'cancelled' | 'not-running' } | undefined> {
    const nc = this.node.connection.require(`${op} of execution ${executionId}`);
    this.counters.controlRequestsSent++;
    try {
      const msg = await nc.request(this.node.names.executionControl, controlRequestEnvelope.encode({ op, executionId, origin: this.node.instanceId }), {
        timeout: this.node.config.timers.controlTimeoutMs,
      });
      return this.node.drops.accept(controlReplyEnvelope, msg.data);
    } catch (e) {
      if (e instanceof NatsError && (e.code === NatsErrorCode.Timeout || e.code === NatsErrorCode.NoResponders)) return undefined;
      throw coordinationUnavailable(`${op} of execution ${executionId}`, e);
    }
  }

  async status(executionId: string): Promise<ExecutionStatusReport | undefined> {
    const local = this.local.localStatus(executionId);
    if (local && local.state !== 'suspended') return local;
    if (!this.node.connection.connected) return (await this.local.storedStatus(executionId)) ?? local;
    // ask the owners and the shared store at once: a stored execution need not wait for the broadcast's timeout
    let failure: unknown;
    const asked = this.broadcast('status', executionId).then((r) => r?.report, (e: unknown) => void (failure ??= e));
    const stored = this.local.storedStatus(executionId).catch((e: unknown) => void (failure = e));
    const first = await Promise.race([asked.then((report) => ({ from: 'owner' as const, report })), stored.then((report) => ({ from: 'store' as const, report }))]);
    // a suspended execution is answered at once; a stored failed or cancelled run may have a
    // fuller answer on its owner (the kept result of an asynchronous run), so that one waits
    if (first.report && (first.from === 'owner' || first.report.state === 'suspended')) return first.report;
    if (first.report) return (await asked) ?? first.report;
    const found = (first.from === 'owner' ? await stored : await asked) ?? local;
    if (!found && failure !== undefined) throw failure; // nobody could be asked: not "unknown", unavailable
    return found;
  }

  async cancel(executionId: string): Promise<CancelOutcome> {
    if (this.local.cancelLocal(executionId)) return 'cancelled';
    if (this.local.localStatus(executionId)) return 'not-running';
    if (this.node.connection.connected) {
      const answer = await this.broadcast('cancel', executionId);
      if (answer?.outcome) return answer.outcome;
    }
    return (await this.local.storedStatus(executionId)) ? 'not-running' : 'not-found';
  }

  /**
   * This instance's list and every other's: each instance answers a list request (an empty one
   * too), and the replies are gathered until every live peer answered or the control timeout.
   */
  async list(states: readonly ListedState[]): Promise<ExecutionListEntry[]> {
    const out = this.local.listLocal(states);
    const peers = this.node.membership.livePeers().length;
    const nc = this.node.connection.raw;
    if (peers === 0 || !nc || !this.node.connection.connected) return out;
    const seen = new Set(out.map((e) => e.executionId));
    this.counters.controlRequestsSent++;
    try {
      const replies = await nc.requestMany(this.node.names.executionControl, controlRequestEnvelope.encode({ op: 'list', executionId: '', origin: this.node.instanceId, states: [...states] }), {
        strategy: RequestStrategy.Count,
        maxMessages: peers,
        maxWait: this.node.config.timers.controlTimeoutMs,
      });
      for await (const msg of replies) {
        for (const e of this.node.drops.accept(controlReplyEnvelope, msg.data)?.entries ?? []) {
          if (seen.has(e.executionId)) continue;
          seen.add(e.executionId);
          out.push(e);
        }
      }
    } catch (e) {
      this.node.logger.debug({ err: errorText(e) }, 'cluster: execution list incomplete');
    }
    return out;
  }

  runInBackground(dag: Dag, inputs: Readonly<Record<string, unknown>>, via: RunVia): BackgroundRun {
    return this.local.runInBackground(dag, inputs, via);
  }

  forget(executionId: string): void {
    this.local.forget(executionId);
    const nc = this.node.connection.raw;
    if (!nc || !this.node.connection.connected) return; // a result kept elsewhere then expires with its retention
    try {
      nc.publish(this.node.names.executionControl, controlRequestEnvelope.encode({ op: 'forget', executionId, origin: this.node.instanceId }));
    } catch (e) {
      this.node.logger.debug({ err: errorText(e) }, 'cluster: forget not published');
    }
  }

  startStepping(dag: Dag, inputs: Record<string, unknown>): Promise<StepReply> {
    return this.local.startStepping(dag, inputs);
  }

  async step(sessionId: string, action: StepAction): Promise<StepReply | undefined> {
    const owner = sessionOwner(sessionId);
    if (owner === undefined || owner === this.node.instanceId) return this.local.step(sessionId, action);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(owner)) return undefined; // names no instance: no such session
    const nc = this.node.connection.require(`step of debug session ${sessionId}`);
    const timeout = this.node.config.timers.routeTimeoutMs;
    this.counters.stepCallsForwarded++;
    let msg: Msg;
    try {
      const request = stepRequestEnvelope.encode({ sessionId, action, deadline: Date.now() + timeout });
      msg = await nc.request(this.node.names.instance(owner, 'step'), request, { timeout });
    } catch (e) {
      if (e instanceof NatsError && e.code === NatsErrorCode.NoResponders) {
        this.counters.sessionsLost++;
        throw new ConstellationError('SessionLost', formatError('SessionLost', { id: sessionId }));
      }
      if (e instanceof NatsError && e.code === NatsErrorCode.Timeout) {
        throw new ConstellationError('OwnerTimeout', formatError('OwnerTimeout', { what: `debug session '${sessionId}'`, ms: timeout }));
      }
      throw coordinationUnavailable(`step of debug session ${sessionId}`, e);
    }
    const answer = this.node.drops.accept(stepReplyEnvelope, msg.data);
    if (!answer) throw coordinationUnavailable(`step of debug session ${sessionId}`, new Error('the owner answered with an invalid message'));
    if (answer.error) throw new ConstellationError(answer.error.code, answer.error.message);
    return answer.reply;
  }

  close(): void {
    this.controlSub?.unsubscribe();
    this.instanceSub?.unsubscribe();
  }
}
