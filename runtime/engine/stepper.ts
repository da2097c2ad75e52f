import { randomUUID } from 'node:crypto';
import type { Dag } from '../compiler/dag.js';
import { ConstellationError, formatError } from '../errors.js';
import { printType, type Type } from '../types/type.js';
import { Some, Tagged, type Value } from '../values/value.js';
import type { Engine } from './engine.js';
import { DONE, PENDING, RUNNING, type Execution } from './execution.js';
import { planFor } from './plan.js';
import type { ExecutionResult } from './result.js';

/**
 * Step-through debugging on the normal engine: a gate admits only the module
 * nodes of the current batch, so stepping and running cannot diverge. Batch 0 is the inputs;
 * batch k holds the modules whose module dependencies all sit in earlier batches. Inline
 * expressions resolve as soon as their inputs exist.
 */

export interface CompletedNode {
  readonly nodeId: number;
  readonly nodeName: string;
  readonly nodeType: 'module' | 'data';
  readonly valuePreview: string;
  readonly durationMs?: number;
}

export interface StepState {
  readonly currentBatch: number;
  readonly totalBatches: number;
  readonly batchNodes: readonly number[];
  readonly completedNodes: readonly CompletedNode[];
  readonly pendingNodes: readonly number[];
}

export class StepSession {
  lastAccess = Date.now();
  private current = 0;
  private execution!: Execution;
  private readonly batchOf: Int32Array;
  readonly batches: number[][];
  private readonly waiters: (() => void)[] = [];
  readonly result: Promise<ExecutionResult>;
  private readonly started: Promise<void>;

  constructor(engine: Engine, readonly dag: Dag, inputs: Record<string, unknown>, readonly id: string = randomUUID()) {
    const plan = planFor(dag);
    const n = plan.size;
    // depth in module calls: inputs 0; a transform inherits; a module adds one
    const depth = new Int32Array(n);
    for (const node of dag.nodes) {
      const deps = node.kind === 'module' ? node.args : node.kind === 'transform' ? node.deps : [];
      let d = 0;
      for (const x of deps) d = Math.max(d, depth[x]!);
      if (node.gate) d = Math.max(d, depth[node.gate.node]!);
      depth[node.id] = node.kind === 'module' ? d + 1 : d;
    }
    this.batchOf = new Int32Array(n);
    const batches: number[][] = [dag.inputs.map((i) => i.node)];
    for (const node of dag.nodes) {
      if (node.kind !== 'module') continue;
      const b = depth[node.id]!;
      this.batchOf[node.id] = b;
      while (batches.length <= b) batches.push([]);
      batches[b]!.push(node.id);
    }
    this.batches = batches;
    let resolveStarted!: () => void;
    let rejectStarted!: (e: unknown) => void;
    this.started = new Promise((resolve, reject) => {
      resolveStarted = resolve;
      rejectStarted = reject;
    });
    this.started.catch(() => {});
    this.result = engine.run(dag, inputs, {
      persist: false,
      includeNodes: true,
      hooks: {
        admission: (id) => this.batchOf[id]! <= this.current,
        onSettled: () => this.notify(),
      },
      onStart: (exec) => {
        this.execution = exec;
        resolveStarted();
      },
    });
    // a run that fails before it starts (ill-typed inputs) must not leave the session waiting
    this.result.then(() => this.notify(), (e: unknown) => {
      rejectStarted(e);
      this.notify();
    });
  }

  get totalBatches(): number {
    return this.batches.length;
  }

  get isComplete(): boolean {
    return this.execution?.isEnded ?? false;
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Has everything admitted up to batch `index` settled? An undemanded lazy call does not count:
   * what demands it may sit in a later batch (it starts when demanded, and then counts again).
   */
  private batchSettled(index: number): boolean {
    const exec = this.execution;
    if (exec.isEnded) return true;
    for (let b = 1; b <= index && b < this.batches.length; b++) {
      for (const id of this.batches[b]!) {
        if ((exec.state[id] === PENDING || exec.state[id] === RUNNING) && !exec.awaitingDemand(id)) return false;
      }
    }
    return true;
  }

  private async waitFor(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** Initial state: inputs resolved, nothing run yet (the cursor is on batch 1). */
  async initial(): Promise<StepState> {
    await this.started;
    this.current = 0;
    return this.state();
  }

  /** Steps in progress: a session busy running a batch is never idle. */
  private busy = 0;

  get inUse(): boolean {
    return this.busy > 0;
  }

  /** Runs every module of the next batch (in parallel) and returns the new state. */
  async next(): Promise<StepState> {
    this.busy++;
    try {
      await this.started;
      if (this.current < this.batches.length - 1) {
        this.current++;
        this.execution.admitParked();
        const index = this.current;
        await this.waitFor(() => this.batchSettled(index));
      }
      return this.state();
    } finally {
      this.busy--;
      this.lastAccess = Date.now();
    }
  }

  /** Runs everything that is left. */
  async continue(): Promise<{ state: StepState; result: ExecutionResult }> {
    this.busy++;
    try {
      await this.started;
      this.current = this.batches.length;
      this.execution.admitParked();
      const result = await this.result;
      return { state: this.state(), result };
    } finally {
      this.busy--;
      this.lastAccess = Date.now();
    }
  }

  stop(): void {
    this.execution?.cancel('cancelled');
  }

  state(): StepState {
    const exec = this.execution;
    const dag = this.dag;
    const completed: CompletedNode[] = [];
    const pending: number[] = [];
    for (const node of dag.nodes) {
      const s = exec.state[node.id]!;
      if (s === DONE) {
        const record = exec.records.get(node.id);
        completed.push({
          nodeId: node.id,
          nodeName: dag.variables[node.id] ?? node.name,
          nodeType: node.kind === 'module' ? 'module' : 'data',
          valuePreview: preview(exec.values[node.id], node.type),
          ...(record?.durationMs !== undefined ? { durationMs: record.durationMs } : {}),
        });
      } else if (s === PENDING || s === RUNNING) pending.push(node.id);
    }
    const currentBatch = Math.min(this.current, this.batches.length - 1);
    return { currentBatch, totalBatches: this.batches.length, batchNodes: this.batches[currentBatch] ?? [], completedNodes: completed, pendingNodes: pending };
  }
}

/** Value preview of the step-through protocol: at most 50 characters. */
export function preview(v: Value, t: Type): string {
  const text = previewText(v, t);
  return text.length > 50 ? text.slice(0, 47) + '...' : text;
}

function previewText(v: Value, t: Type): string {
  switch (t.k) {
    case 'String': return JSON.stringify(v);
    case 'Int': case 'Float': case 'Boolean': return String(v);
    case 'List': return `[${(v as Value[]).length} items]`;
    case 'Seq': return `Seq[${(v as Value[]).length} items]`;
    case 'Map': return `{${(v as Map<Value, Value>).size} entries}`;
    case 'Record': return `{${t.fields.map((f) => f[0]).join(', ')}}`;
    case 'Optional':
      if (v === null || v === undefined) return 'None';
      return `Some(${previewText(v instanceof Some ? v.value : v, t.of)})`;
    case 'Union': {
      const tagged = v as Tagged;
      const member = t.members.find((m) => printType(m) === tagged.tag);
      return `${tagged.tag}(${member ? previewText(tagged.value, member) : '...'})`;
    }
    default: return String(v);
  }
}

/**
 * Sessions by id, dropped after `idleMs` without access (30 minutes by default) — by a sweep
 * timer while any session exists, so an abandoned session does not hold its execution until
 * the next request. At most `maxSessions` at once (`start` throws TooManyDebugSessions beyond).
 * `newId` makes session ids: random UUIDs by default; a cluster prefixes its instance id so
 * any instance can route a step request to the session's owner (execution ids stay UUIDs).
 */
export class StepSessions {
  private readonly sessions = new Map<string, StepSession>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleMs = 30 * 60_000,
    private readonly newId: () => string = randomUUID,
    private readonly maxSessions = Infinity,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  start(engine: Engine, dag: Dag, inputs: Record<string, unknown>): StepSession {
    this.expire();
    if (this.sessions.size >= this.maxSessions) {
      throw new ConstellationError('TooManyDebugSessions', formatError('TooManyDebugSessions', { max: this.maxSessions }));
    }
    const s = new StepSession(engine, dag, inputs, this.newId());
    this.sessions.set(s.id, s);
    this.sweeper ??= setInterval(() => this.expire(), Math.max(10, Math.min(this.idleMs / 2, 60_000)));
    this.sweeper.unref();
    return s;
  }

  get(id: string): StepSession | undefined {
    this.expire();
    const s = this.sessions.get(id);
    if (s) s.lastAccess = Date.now();
    return s;
  }

  stop(id: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    s.stop();
    this.sessions.delete(id);
    this.idle();
    return true;
  }

  /** Stops every session (shutdown). */
  close(): void {
    for (const id of [...this.sessions.keys()]) this.stop(id);
  }

  private expire(): void {
    const limit = Date.now() - this.idleMs;
    for (const [id, s] of this.sessions) {
      if (s.lastAccess < limit && !s.inUse) {
        s.stop();
        this.sessions.delete(id);
      }
    }
    this.idle();
  }

  private idle(): void {
    if (this.sessions.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
