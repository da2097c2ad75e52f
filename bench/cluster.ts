import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterConfig } from '../cluster/config.js';
import { ClusterNode } from '../cluster/node.js';
import { NatsPipelineStore } from '../cluster/stores/pipeline-store.js';
import { startNats } from '../test/helpers/nats.js';
import { compile } from '../runtime/compiler/compile.js';
import { standardRegistry } from '../runtime/stdlib/index.js';
import { IMAGE_FORMAT_VERSION, type PipelineImage } from '../runtime/stores/pipeline-store.js';
import { wrk, type LoadResult } from './load.js';
import { PIPELINES } from './modules/bench-modules.js';
import type { Scenario } from './scenario.js';
import { median, round, summarise } from './stats.js';

/**
 * Cluster benchmarks (a real nats-server on loopback, instances as processes):
 *
 * - `/execute` throughput of one instance with cluster mode on and off, same run, round-robin
 *   repetitions: the hot path must not touch NATS (goal ≥ 0.9 ×);
 * - propagation of a pipeline compiled on instance A to instance B's local copy (the watch):
 *   p50 and p99 (goal p99 ≤ 20 ms on loopback). B can execute it by name even before that (a
 *   local miss reads the bucket once), so this is the delay before B needs no NATS for it;
 * - resume on an instance that did not suspend the execution vs resume on a single instance
 *   (file store): the added p50 (goal ≤ 1 ms).
 */

const dist = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export interface Proc {
  readonly port: number;
  stop(): Promise<void>;
}

export function startServer(env: Record<string, string>): Promise<Proc> {
  const child: ChildProcess = spawn(process.execPath, [dist('../server/main.js')], {
    env: {
      ...process.env, CONSTELLATION_PORT: '0', CONSTELLATION_HOST: '127.0.0.1', CONSTELLATION_LOG_LEVEL: 'info', CONSTELLATION_LOG_FORMAT: 'json',
      CONSTELLATION_MODULES: dist('./modules/bench-modules.js'), CONSTELLATION_EXAMPLE_MODULES: 'false', CONSTELLATION_HEALTH_DETAIL_ENABLED: 'true', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start\n${output}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /"port":(\d+)/.exec(output);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({
        port: Number(m[1]),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code})\n${output}`)));
  });
}

export async function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, json: await r.json().catch(() => undefined) };
}

export async function untilReady(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await call(port, 'GET', '/health/ready')).status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`instance on ${port} never became ready`);
}

/** One resume's latency (ms): suspend on `suspendOn`, then time the resume on `resumeOn`. */
async function resumeOnce(suspendOn: number, resumeOn: number, i: number): Promise<number> {
  const s = await call(suspendOn, 'POST', '/run', { source: 'in a: Int\nin b: Int\ns = a + b\nout s\n', inputs: { a: i } });
  if (s.json?.status !== 'suspended') throw new Error(`run did not suspend: ${JSON.stringify(s.json)}`);
  const t0 = performance.now();
  const r = await call(resumeOn, 'POST', `/executions/${s.json.executionId}/resume`, { additionalInputs: { b: 1 } });
  const ms = performance.now() - t0;
  if (r.status !== 200 || r.json.outputs.s !== i + 1) throw new Error(`resume failed: ${r.status} ${JSON.stringify(r.json)}`);
  return ms;
}

/**
 * Resumes on one instance (its file store) and on a cluster instance that did not suspend the
 * execution, interleaved one by one so both see the same machine load; the first ones warm up.
 */
async function resumeLatencies(single: number, suspendOn: number, resumeOn: number, n: number): Promise<{ single: number[]; cluster: number[] }> {
  const out = { single: [] as number[], cluster: [] as number[] };
  const warm = Math.min(10, Math.floor(n / 5));
  for (let i = 0; i < n; i++) {
    const a = await resumeOnce(single, single, i);
    const b = await resumeOnce(suspendOn, resumeOn, i);
    if (i < warm) continue;
    out.single.push(a);
    out.cluster.push(b);
  }
  return out;
}

function imageOf(n: number): PipelineImage {
  const registry = standardRegistry();
  const result = compile(`in x: Int\ny = x + ${n}\nout y\n`, registry);
  if (!result.ok || !result.dag) throw new Error('bench pipeline does not compile');
  return {
    formatVersion: IMAGE_FORMAT_VERSION, structuralHash: result.hashes.structural!, syntacticHash: result.hashes.syntactic,
    registryHash: registry.dependencyHash(result.lookups), dag: result.dag, sourceMap: result.sourceMap, source: null, compiledAt: new Date().toISOString(),
  };
}

/**
 * Propagation to another instance's local copy: A stores an image and moves an alias (what a
 * named compile writes); the delay runs from the start of A's writes to B's copy resolving the
 * name to the image (so it includes A's two KV writes: an upper bound of the watch delay).
 */
async function propagation(url: string, n: number): Promise<number[]> {
  const make = (name: string) => new ClusterNode({ config: clusterConfig([url], { clusterName: 'benchprop' }), instanceId: `${name}-1-benchaaa` });
  const nodeA = make('a');
  const nodeB = make('b');
  const storeA = new NatsPipelineStore(nodeA, nodeA.config.timers);
  const storeB = new NatsPipelineStore(nodeB, nodeB.config.timers);
  for (const [node, store] of [[nodeA, storeA], [nodeB, storeB]] as const) {
    node.addSynchroniser('pipelines', () => store.resync());
    node.start();
  }
  await Promise.all([nodeA.whenSynchronised(), nodeB.whenSynchronised()]);
  // the alias and the image arrive through two watches, in either order: done when both are there
  const waiters = new Map<string, () => void>();
  storeB.onChange(() => {
    for (const [name, done] of waiters) {
      const hash = storeB.resolveAlias(name);
      if (hash !== undefined && storeB.getImage(hash)) done();
    }
  });
  const delays: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const image = imageOf(i);
      const name = `prop-${i}`;
      const seen = new Promise<number>((resolve) =>
        waiters.set(name, () => {
          waiters.delete(name);
          resolve(performance.now());
        }),
      );
      const started = performance.now();
      await storeA.putImage(image);
      await storeA.setAlias(name, image.structuralHash);
      const at = await seen;
      if (storeB.resolveAlias(name) !== image.structuralHash || !storeB.getImage(image.structuralHash)) throw new Error('B resolved the wrong pipeline');
      delays.push(at - started);
    }
  } finally {
    await nodeA.close();
    await nodeB.close();
  }
  return delays.slice(5);
}

export async function runClusterBench(opts: { quick: boolean }): Promise<Scenario[]> {
  const seconds = opts.quick ? 2 : 3;
  const reps = opts.quick ? 2 : 9;
  const nats = await startNats({ name: 'bench' });
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'constellation-bench-cluster-'));
    dirs.push(d);
    return d;
  };
  const procs: Proc[] = [];
  const scenarios: Scenario[] = [];
  try {
    const clusterEnv = { CONSTELLATION_NATS_URL: nats.url, CONSTELLATION_CLUSTER_NAME: 'bench' };
    const off = await startServer({ CONSTELLATION_DATA_DIR: dir() });
    const on = await startServer({ CONSTELLATION_DATA_DIR: dir(), ...clusterEnv });
    const other = await startServer({ CONSTELLATION_DATA_DIR: dir(), ...clusterEnv });
    procs.push(off, on, other);
    await Promise.all([off, on, other].map((p) => untilReady(p.port)));
    for (const p of [off, on]) await call(p.port, 'POST', '/compile', { source: PIPELINES.trivial(), name: 'trivial' });

    const body = JSON.stringify({ ref: 'trivial', inputs: { x: 41 } });
    const load = (port: number, secs: number) => wrk(`http://127.0.0.1:${port}/execute`, { method: 'POST', body, seconds: secs });
    await load(off.port, 1);
    await load(on.port, 1);
    const offRuns: LoadResult[] = [];
    const onRuns: LoadResult[] = [];
    // alternating order (off-on, on-off, …) so a drift in the machine's load falls on both alike
    for (let rep = 0; rep < reps; rep++) {
      process.stderr.write(`[bench] cluster ${rep + 1}/${reps} /execute off and on\n`);
      if (rep % 2 === 0) {
        offRuns.push(await load(off.port, seconds));
        onRuns.push(await load(on.port, seconds));
      } else {
        onRuns.push(await load(on.port, seconds));
        offRuns.push(await load(off.port, seconds));
      }
    }
    for (const r of [...offRuns, ...onRuns]) if (r.non2xx > 0 || r.errors > 0) throw new Error(`cluster bench: ${r.non2xx} non-2xx, ${r.errors} errors`);
    const offRps = median(offRuns.map((r) => r.rps));
    const onRps = median(onRuns.map((r) => r.rps));
    const onPick = onRuns.find((r) => r.rps === onRps) ?? onRuns[0]!;
    // each pair ran back to back: the median of the pairs' ratios resists the machine's drift
    // better than the ratio of the medians
    const ratio = median(onRuns.map((r, i) => r.rps / offRuns[i]!.rps));
    scenarios.push({
      name: 'execute-cluster-on-vs-off', unit: 'req/s', value: round(onRps, 0), p50_ms: round(onPick.p50_ms), p99_ms: round(onPick.p99_ms),
      peers: { 'cluster-off': round(offRps, 0) }, ratio: round(ratio, 3), goal: '≥ 0.9 × the same instance without cluster mode',
      met: ratio >= 0.9, tool: 'wrk -t1 -c64', note: `POST /execute of a known pipeline: the hot path does not touch NATS; ratio: median of ${reps} back-to-back pairs`,
    });

    process.stderr.write('[bench] cluster propagation\n');
    const delays = summarise(await propagation(nats.url, opts.quick ? 60 : 300));
    scenarios.push({
      name: 'cluster-propagation', unit: 'ms', value: round(delays.p50), p50_ms: round(delays.p50), p99_ms: round(delays.p99),
      goal: 'p99 ≤ 20 ms', met: delays.p99 <= 20, tool: 'in-process nodes, watch events',
      note: 'A starts the writes of a named compile (image, alias) → B’s local copy resolves the name; B executes it by name even before (a local miss reads the bucket)',
    });

    process.stderr.write('[bench] cluster resume\n');
    const n = opts.quick ? 40 : 200;
    const samples = await resumeLatencies(off.port, on.port, other.port, n);
    const single = summarise(samples.single);
    const remote = summarise(samples.cluster);
    // each pair ran back to back: the median of the differences resists the machine's drift
    const added = median(samples.cluster.map((ms, i) => ms - samples.single[i]!));
    scenarios.push({
      name: 'resume-on-non-owner', unit: 'ms', value: round(added), p50_ms: round(remote.p50), p99_ms: round(remote.p99),
      peers: { 'single-instance-p50-ms': round(single.p50), 'single-instance-p99-ms': round(single.p99) }, goal: 'added p50 ≤ 1 ms',
      met: added <= 1, tool: 'sequential HTTP', note: 'value: median added latency of a resume on an instance that did not suspend the execution (claim read and compare-and-set, delete: three KV round trips) over a resume on one instance with its file store, pairs run back to back',
    });
  } finally {
    for (const p of procs) await p.stop().catch(() => {});
    await nats.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return scenarios;
}
