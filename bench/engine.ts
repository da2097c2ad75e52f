import { fileURLToPath } from 'node:url';
import { createRuntime, type Runtime } from '../actors/runtime-factory.js';
import type { Dag } from '../runtime/compiler/dag.js';
import { PIPELINES } from './modules/bench-modules.js';
import type { Scenario } from './scenario.js';
import { round, summarise } from './stats.js';

/**
 * In-process engine benchmarks (no HTTP): single module, stdlib chains, the 8 × 10 ms I/O
 * fan-out at 64 concurrent executions, the 4 × 2 ms CPU fan-out against one thread, and memory
 * after many executions.
 */

const MODULES_FILE = fileURLToPath(new URL('./modules/bench-modules.js', import.meta.url));

function compileOrThrow(runtime: Runtime, source: string): Dag {
  const r = runtime.engine.compile(source);
  if (!r.ok || !r.dag) throw new Error(`bench pipeline does not compile: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.dag;
}

async function latencies(runtime: Runtime, dag: Dag, inputs: Record<string, unknown>, runs: number, warmup: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await runtime.engine.run(dag, inputs);
  const out = new Array<number>(runs);
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = await runtime.engine.run(dag, inputs);
    out[i] = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 'completed') throw new Error(`bench run did not complete: ${JSON.stringify(r.errors)}`);
  }
  return out;
}

/** Runs `concurrency` executions in a closed loop for `ms`; returns per-execution latencies and count. */
async function closedLoop(runtime: Runtime, dag: Dag, inputs: Record<string, unknown>, concurrency: number, ms: number): Promise<{ samples: number[]; completed: number; seconds: number }> {
  const samples: number[] = [];
  const end = performance.now() + ms;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const r = await runtime.engine.run(dag, inputs);
      if (r.status !== 'completed') throw new Error(`bench run did not complete: ${JSON.stringify(r.errors)}`);
      samples.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { samples, completed: samples.length, seconds: (performance.now() - started) / 1000 };
}

export async function runEngineBench(opts: { quick: boolean }): Promise<Scenario[]> {
  const runtime = await createRuntime({ moduleFiles: [MODULES_FILE], defaultModuleTimeoutMs: 60_000 });
  const scenarios: Scenario[] = [];
  const runs = opts.quick ? 3000 : 20_000;
  try {
    // single stdlib module, in-process
    {
      const s = summarise(await latencies(runtime, compileOrThrow(runtime, PIPELINES.single()), { x: 1 }, runs, runs / 4));
      scenarios.push({ name: 'single-module', unit: 'ms', value: round(s.p50, 4), p50_ms: round(s.p50, 4), p99_ms: round(s.p99, 4), goal: 'p50 ≤ 0.06 ms (reference p50 0.06, p99 0.49)', met: s.p50 <= 0.06, tool: 'in-process', note: 'one stdlib call (inline placement)' });
    }
    for (const [name, suffix, note] of [['single-module-front', '', 'one user module on the coordinator'], ['single-module-worker', 'W', 'one user module on the worker pool (thread hop)']] as const) {
      const dag = compileOrThrow(runtime, `in id: Int\nu = GetOrders${suffix}(id)\nout u\n`);
      const s = summarise(await latencies(runtime, dag, { id: 7 }, Math.min(runs, 5000), 500));
      scenarios.push({ name, unit: 'ms', value: round(s.p50, 4), p50_ms: round(s.p50, 4), p99_ms: round(s.p99, 4), tool: 'in-process', note });
    }
    for (const n of [10, 50, 100]) {
      const s = summarise(await latencies(runtime, compileOrThrow(runtime, PIPELINES.chain(n)), { x0: 1 }, runs, runs / 4));
      scenarios.push({
        name: `chain-${n}`, unit: 'ms', value: round(s.p50, 4), p50_ms: round(s.p50, 4), p99_ms: round(s.p99, 4), tool: 'in-process',
        ...(n === 100 ? { goal: '≤ 0.3 ms (reference 14.67 ms)', met: s.p50 <= 0.3 } : {}),
        note: `${n} stdlib calls in a chain`,
      });
    }
    // 8 × 10 ms I/O fan-out, 64 concurrent executions: I/O modules on the coordinator (the
    // placement the engine recommends for I/O) and, for comparison, on the worker pool
    for (const [name, suffix, where] of [['fanout-io', '', 'on the coordinator'], ['fanout-io-worker', 'W', 'on the worker pool']] as const) {
      const dag = compileOrThrow(runtime, PIPELINES.fanoutIo(suffix));
      await closedLoop(runtime, dag, { ms: 10 }, 64, 500);
      const r = await closedLoop(runtime, dag, { ms: 10 }, 64, opts.quick ? 1000 : 6000);
      const s = summarise(r.samples);
      scenarios.push({
        name, unit: 'ms', value: round(s.p50, 3), p50_ms: round(s.p50, 3), p99_ms: round(s.p99, 3),
        ...(suffix === '' ? { goal: 'p50 ≤ 11 ms at 64 concurrent executions', met: s.p50 <= 11 } : {}),
        tool: 'in-process', note: `8 modules × 10 ms I/O ${where}; ${Math.round(r.completed / r.seconds)} executions/s`,
      });
    }
    // 4 × 2 ms CPU fan-out: pool vs the same DAG on one thread (front placement)
    {
      const pooled = compileOrThrow(runtime, PIPELINES.fanoutCpu(''));
      const single = compileOrThrow(runtime, PIPELINES.fanoutCpu('Front'));
      const window = opts.quick ? 1000 : 6000;
      await closedLoop(runtime, pooled, { ms: 2 }, 16, 300);
      const p = await closedLoop(runtime, pooled, { ms: 2 }, 16, window);
      await closedLoop(runtime, single, { ms: 2 }, 16, 300);
      const o = await closedLoop(runtime, single, { ms: 2 }, 16, window);
      const pooledRate = p.completed / p.seconds;
      const singleRate = o.completed / o.seconds;
      const ratio = pooledRate / singleRate;
      scenarios.push({
        name: 'fanout-cpu', unit: 'executions/s', value: round(pooledRate, 1), p50_ms: round(summarise(p.samples).p50, 3), p99_ms: round(summarise(p.samples).p99, 3),
        peers: { 'one-thread': round(singleRate, 1) }, ratio: round(ratio, 2), goal: '≥ 1.7 × one thread', met: ratio >= 1.7, tool: 'in-process',
        note: `4 modules × 2 ms CPU; pool of ${runtime.pool.threadCount} workers`,
      });
    }
  } finally {
    await runtime.close();
  }
  return scenarios;
}

/**
 * Memory: RSS (and V8 heap in use) after N and after 10 × N executions of a composition
 * pipeline — the engine must not leak. A warm-up of N executions comes first: V8 grows its
 * young generation under a high allocation rate during the first tens of thousands of runs,
 * which raises RSS once without being a leak; the readings compare the steady state after it.
 * Runs in its own process with --expose-gc, forcing a GC before each reading.
 */
export async function runMemoryBench(opts: { quick: boolean }): Promise<Scenario[]> {
  const runtime = await createRuntime({ moduleFiles: [MODULES_FILE] });
  const gc = (globalThis as { gc?: () => void }).gc;
  const read = () => {
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20 };
  };
  try {
    const dag = compileOrThrow(runtime, PIPELINES.composition(''));
    const small = opts.quick ? 5_000 : 10_000;
    const big = small * 10;
    const idle = read();
    let done = 0;
    const runMore = async (n: number) => {
      const until = done + n;
      while (done < until) {
        const batch = Math.min(64, until - done);
        await Promise.all(Array.from({ length: batch }, (_, i) => runtime.engine.run(dag, { id: done + i })));
        done += batch;
      }
    };
    await runMore(100_000); // warm-up
    await runMore(small);
    const afterSmall = read();
    await runMore(big - small);
    const afterBig = read();
    return [
      { name: 'memory-idle-rss', unit: 'MiB', value: round(idle.rss, 1), tool: 'in-process', note: 'engine + pool, before any execution' },
      {
        name: 'memory-rss-growth', unit: 'MiB', value: round(afterBig.rss, 1), peers: { [`rss-after-${small}`]: round(afterSmall.rss, 1), [`heap-after-${small}`]: round(afterSmall.heap, 2), [`heap-after-${big}`]: round(afterBig.heap, 2) },
        ratio: round(afterBig.rss / afterSmall.rss, 3),
        goal: `RSS after ${big} executions no higher than after ${small} (±5 %)`, met: afterBig.rss <= afterSmall.rss * 1.05, tool: 'in-process',
        note: `composition pipeline, after a warm-up; ${gc ? 'GC forced before readings' : 'no forced GC (run node with --expose-gc)'}`,
      },
    ];
  } finally {
    await runtime.close();
  }
}
