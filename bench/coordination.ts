import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BreakerGossip } from '../cluster/breakers.js';
import { clusterConfig } from '../cluster/config.js';
import { ClusterNode } from '../cluster/node.js';
import { ClusterExecutionControl } from '../cluster/execution-routing.js';
import { LocalBreakerRegistry } from '../runtime/engine/circuit-breaker.js';
import { Engine } from '../runtime/engine/engine.js';
import { LocalExecutionControl } from '../runtime/engine/execution-control.js';
import { startDependency, type Dependency } from '../test/helpers/dependency.js';
import { startNats } from '../test/helpers/nats.js';
import { call, startServer, untilReady, type Proc } from './cluster.js';
import { benchModules } from './modules/bench-modules.js';
import type { Scenario } from './scenario.js';
import { round, summarise } from './stats.js';

/**
 * Coordination benchmarks (a real nats-server on loopback; instances as processes unless said):
 *
 * - `step-next-routed`: `POST /debug/sessions/{id}/next` through an instance that does not own
 *   the session (forwarded to the owner over NATS) vs through the owner itself, alternating
 *   call by call; the added p50 (goal ≤ 0.3 ms) and both p99s. `step-next-routed-control`: the
 *   same through the execution control of two nodes in one process (no HTTP, fewer processes
 *   to schedule), beside a bare NATS request-reply on the same machine.
 * - `breaker-convergence`: from the failure that trips A's breaker until B's and C's breakers
 *   reject, p50/p99 (goal p99 ≤ 10 ms on loopback). Three nodes in one process (one clock).
 * - `breaker-wasted-calls-*`: calls that reach a dead dependency before all three instances
 *   reject, with the cluster's breakers vs three independent instances (the reference's
 *   per-instance breakers), under sequential round-robin traffic (goal: one threshold, 5) and
 *   under concurrent load (reported, with the calls in flight when the breakers opened).
 */

const DEPENDENCY_JS = fileURLToPath(new URL('../test/fixtures/modules/dependency.js', import.meta.url));
const BENCH_MODULES_JS = fileURLToPath(new URL('./modules/bench-modules.js', import.meta.url));
const THRESHOLD = 5;

/** A pipeline of `n` front module calls in a row: `next` runs one of them. */
function chainSource(n: number): string {
  const steps = ['StepA', 'StepB', 'StepC'];
  const lines = ['in value: Int'];
  for (let i = 1; i <= n; i++) lines.push(`x${i} = ${steps[i % 3]}(${i === 1 ? 'value' : `x${i - 1}`})`);
  lines.push(`out x${n}`);
  return lines.join('\n') + '\n';
}

async function stepLatencies(owner: Proc, other: Proc, samples: number): Promise<{ local: number[]; routed: number[] }> {
  const source = chainSource(30);
  const open = async () => {
    const r = await call(owner.port, 'POST', '/debug/sessions', { source, inputs: { value: 1 } });
    if (r.status !== 201) throw new Error(`session not started: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.sessionId as string;
  };
  const sessions = { local: await open(), routed: await open() };
  const out = { local: [] as number[], routed: [] as number[] };
  for (let i = 0; i < samples * 2; i++) {
    const which = i % 2 === 0 ? 'local' : 'routed';
    const via = which === 'local' ? owner : other;
    const t0 = performance.now();
    const r = await call(via.port, 'POST', `/debug/sessions/${encodeURIComponent(sessions[which])}/next`, {});
    const ms = performance.now() - t0;
    if (r.status !== 200) throw new Error(`next failed: ${r.status} ${JSON.stringify(r.json)}`);
    out[which].push(ms);
    if (r.json.isComplete) {
      await call(owner.port, 'DELETE', `/debug/sessions/${encodeURIComponent(sessions[which])}`);
      sessions[which] = await open();
    }
  }
  const warm = Math.min(20, Math.floor(samples / 5));
  return { local: out.local.slice(warm), routed: out.routed.slice(warm) };
}

/**
 * The same `next` through the execution control, in one process (no HTTP): on the owner, through
 * another node (over NATS); and a bare NATS request-reply of the same size, for what the network
 * part alone costs on this machine at this moment.
 */
async function stepInProcess(url: string, samples: number): Promise<{ local: number[]; routed: number[]; rtt: number[] }> {
  const instances = await Promise.all(
    ['a', 'b'].map(async (name) => {
      const node = new ClusterNode({ config: clusterConfig([url], { clusterName: 'benchstep' }), instanceId: `${name}-1-benchstp` });
      const engine = new Engine({ modules: benchModules.map((module) => ({ module })) });
      const local = new LocalExecutionControl(engine, { instanceId: node.instanceId, sessionIds: ClusterExecutionControl.sessionIds(node.instanceId) });
      const control = new ClusterExecutionControl(node, local);
      node.addSynchroniser('routing', () => control.synchronise());
      node.start();
      await node.whenSynchronised();
      return { node, engine, control };
    }),
  );
  const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
  const dag = a.engine.compile(chainSource(30)).dag!;
  const out = { local: [] as number[], routed: [] as number[], rtt: [] as number[] };
  try {
    let sessions = { local: (await a.control.startStepping(dag, { value: 1 })).sessionId, routed: (await a.control.startStepping(dag, { value: 1 })).sessionId };
    for (let i = 0; i < samples * 2; i++) {
      const which = i % 2 === 0 ? 'local' : 'routed';
      const t0 = performance.now();
      const r = await (which === 'local' ? a : b).control.step(sessions[which], 'next');
      out[which].push(performance.now() - t0);
      if (r?.isComplete) {
        await a.control.step(sessions[which], 'stop');
        sessions = { ...sessions, [which]: (await a.control.startStepping(dag, { value: 1 })).sessionId };
      }
    }
    const nc = a.node.connection.raw!;
    const echo = b.node.connection.raw!.subscribe('bench.echo', { callback: (_e, m) => m.respond(m.data) });
    await b.node.connection.raw!.flush();
    const payload = new Uint8Array(1024);
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await nc.request('bench.echo', payload, { timeout: 5_000 });
      out.rtt.push(performance.now() - t0);
    }
    echo.unsubscribe();
  } finally {
    for (const i of instances) {
      await i.node.close();
      await i.engine.close();
    }
  }
  const warm = Math.min(20, Math.floor(samples / 5));
  return { local: out.local.slice(warm), routed: out.routed.slice(warm), rtt: out.rtt.slice(warm) };
}

/** Trip A's breaker of a fresh module `n` times; the time until B and C have it open, in ms. */
async function convergence(url: string, n: number): Promise<number[]> {
  const nodes = ['a', 'b', 'c'].map((name) => new ClusterNode({ config: clusterConfig([url], { clusterName: 'benchcb' }), instanceId: `${name}-1-benchcbb` }));
  const registries = nodes.map(() => new LocalBreakerRegistry({ failureThreshold: THRESHOLD, resetDurationMs: 600_000, halfOpenMaxProbes: 1 }));
  const gossip = nodes.map((node, i) => new BreakerGossip(node, registries[i]!));
  nodes.forEach((node, i) => node.addSynchroniser('breakers', (reason) => gossip[i]!.synchronise(reason)));
  for (const node of nodes) node.start();
  await Promise.all(nodes.map((node) => node.whenSynchronised()));
  for (const g of gossip) g.start();
  const opened = new Map<string, number>();
  registries.slice(1).forEach((r, i) =>
    r.observe((t) => {
      if (t.to === 'open') opened.set(`${t.module}/${i}`, performance.now());
    }),
  );
  const delays: number[] = [];
  try {
    for (let k = 0; k < n; k++) {
      const module = `Dead${k}`;
      const a = registries[0]!.forModule(module);
      for (let f = 1; f < THRESHOLD; f++) a.onFailure();
      // the shared counts of the first failures arrive first: then the one that trips
      await until(() => registries.every((r) => r.forModule(module).stats().consecutiveFailures === THRESHOLD - 1));
      const t0 = performance.now();
      a.onFailure();
      await until(() => opened.has(`${module}/0`) && opened.has(`${module}/1`));
      delays.push(Math.max(opened.get(`${module}/0`)!, opened.get(`${module}/1`)!) - t0);
    }
  } finally {
    for (const g of gossip) g.close();
    await Promise.all(nodes.map((node) => node.close()));
  }
  return delays.slice(Math.min(10, Math.floor(n / 5)));
}

/** Polls without timers of a fixed length: as soon as `done` holds (checked on every turn). */
async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const limit = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > limit) throw new Error('benchmark condition not reached');
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Sequential round-robin calls of a dead dependency over `instances` until each instance's last
 * answer was CircuitOpen; the calls that reached the dependency.
 */
async function wastedSequential(instances: readonly Proc[], dep: Dependency, path: string): Promise<number> {
  const rejecting = instances.map(() => false);
  for (let i = 0; !rejecting.every(Boolean); i++) {
    if (i > 500) throw new Error('the breakers never opened');
    const k = i % instances.length;
    const r = await call(instances[k]!.port, 'POST', '/execute', { ref: 'dead', inputs: { p: path } });
    rejecting[k] = r.json?.errors?.[0]?.code === 'CircuitOpen';
  }
  return dep.calls(path);
}

/** `clients` concurrent callers over the instances until each instance has answered CircuitOpen; the calls that reached the dependency. */
async function wastedConcurrent(instances: readonly Proc[], dep: Dependency, path: string, clients: number, ref: string): Promise<number> {
  const rejecting = instances.map(() => false);
  let sent = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = c; !rejecting.every(Boolean) && sent < 5_000; i += clients) {
        sent++;
        const k = i % instances.length;
        const r = await call(instances[k]!.port, 'POST', '/execute', { ref, inputs: { p: path } });
        if (r.json?.errors?.[0]?.code === 'CircuitOpen') rejecting[k] = true;
      }
    }),
  );
  return dep.calls(path);
}

export async function runCoordinationBench(opts: { quick: boolean }): Promise<Scenario[]> {
  const nats = await startNats({ name: 'bench-coord' });
  const dep = await startDependency();
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'constellation-bench-coord-'));
    dirs.push(d);
    return d;
  };
  const procs: Proc[] = [];
  const scenarios: Scenario[] = [];
  const common = {
    CONSTELLATION_MODULES: `${BENCH_MODULES_JS},${DEPENDENCY_JS}`,
    CONSTELLATION_TEST_DEPENDENCY_URL: dep.url,
    CONSTELLATION_BREAKER_FAILURE_THRESHOLD: String(THRESHOLD),
    CONSTELLATION_BREAKER_RESET: '10m',
    CONSTELLATION_LOG_LEVEL: 'info',
  };
  try {
    const clustered = await Promise.all(['a', 'b', 'c'].map(() => startServer({ ...common, CONSTELLATION_DATA_DIR: dir(), CONSTELLATION_NATS_URL: nats.url, CONSTELLATION_CLUSTER_NAME: 'benchcoord' })));
    const alone = await Promise.all(['a', 'b', 'c'].map(() => startServer({ ...common, CONSTELLATION_DATA_DIR: dir() })));
    procs.push(...clustered, ...alone);
    await Promise.all(procs.map((p) => untilReady(p.port)));

    process.stderr.write('[bench] coordination: routed step-through\n');
    const steps = await stepLatencies(clustered[0]!, clustered[1]!, opts.quick ? 150 : 1000);
    const local = summarise(steps.local);
    const routed = summarise(steps.routed);
    const added = routed.p50 - local.p50;
    scenarios.push({
      name: 'step-next-routed', unit: 'ms', value: round(added), p50_ms: round(routed.p50), p99_ms: round(routed.p99),
      peers: { 'owner-p50-ms': round(local.p50), 'owner-p99-ms': round(local.p99) }, goal: 'added p50 ≤ 0.3 ms', met: added <= 0.3, tool: 'sequential HTTP (fetch)',
      note: 'value: added p50 of POST /debug/sessions/{id}/next through a non-owner (forwarded over NATS) over the same call on the owner, alternating',
    });

    const inProcess = await stepInProcess(nats.url, opts.quick ? 300 : 2000);
    const [ipLocal, ipRouted, rtt] = [summarise(inProcess.local), summarise(inProcess.routed), summarise(inProcess.rtt)];
    scenarios.push({
      name: 'step-next-routed-control', unit: 'ms', value: round(ipRouted.p50 - ipLocal.p50), p50_ms: round(ipRouted.p50), p99_ms: round(ipRouted.p99),
      peers: { 'owner-p50-ms': round(ipLocal.p50), 'nats-request-reply-p50-ms': round(rtt.p50), 'nats-request-reply-p99-ms': round(rtt.p99) },
      goal: 'added p50 ≤ 0.3 ms', met: ipRouted.p50 - ipLocal.p50 <= 0.3, tool: 'two nodes in one process, no HTTP',
      note: 'value: added p50 of the execution control’s next through a non-owner over the owner’s own; the bare NATS request-reply of 1 KiB on the same machine beside it',
    });

    process.stderr.write('[bench] coordination: breaker convergence\n');
    const conv = summarise(await convergence(nats.url, opts.quick ? 60 : 300));
    scenarios.push({
      name: 'breaker-convergence', unit: 'ms', value: round(conv.p50), p50_ms: round(conv.p50), p99_ms: round(conv.p99), goal: 'p99 ≤ 10 ms', met: conv.p99 <= 10,
      tool: 'three nodes in one process', note: 'the failure that trips A’s breaker → B’s and C’s breakers open (they reject from then on)',
    });

    process.stderr.write('[bench] coordination: calls wasted on a dead dependency\n');
    for (const set of [clustered, alone]) {
      // instances without a cluster share no pipelines: each compiles its own
      for (const p of set === alone ? set : set.slice(0, 1)) {
        for (const [module, name] of [['CallDependency', 'dead'], ['FetchValue', 'dead-too'], ['ThirdDependency', 'dead-three']]) {
          await call(p.port, 'POST', '/compile', { source: `in p: String\nr = ${module}(p)\nout r\n`, name });
        }
      }
    }
    const seqCluster = await wastedSequential(clustered, dep, 'dead-seq-cluster');
    const seqAlone = await wastedSequential(alone, dep, 'dead-seq-alone');
    scenarios.push({
      name: 'breaker-wasted-calls-sequential', unit: 'calls', value: seqCluster, peers: { 'per-instance breakers': seqAlone }, ratio: round(seqCluster / seqAlone, 3),
      goal: `≤ ${THRESHOLD} (one threshold) vs ${3 * THRESHOLD} per instance`, met: seqCluster <= THRESHOLD, tool: 'sequential HTTP, round-robin over 3 instances',
      note: 'calls that reached the dead dependency before all three instances rejected',
    });
    // a fresh module per concurrency level: each starts with closed breakers everywhere
    for (const [clients, ref] of [[4, 'dead-too'], [16, 'dead-three']] as const) {
      const conCluster = await wastedConcurrent(clustered, dep, `dead-con-${clients}-cluster`, clients, ref);
      const conAlone = await wastedConcurrent(alone, dep, `dead-con-${clients}-alone`, clients, ref);
      scenarios.push({
        name: `breaker-wasted-calls-concurrent-${clients}`, unit: 'calls', value: conCluster, peers: { 'per-instance breakers': conAlone }, ratio: round(conCluster / conAlone, 3),
        goal: 'reported (calls in flight when the breakers opened included)', tool: `${clients} concurrent HTTP clients over 3 instances`,
        note: 'calls that reached the dead dependency before all three instances rejected',
      });
    }
  } finally {
    for (const p of procs) await p.stop().catch(() => {});
    await nats.stop();
    await dep.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return scenarios;
}
