import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Dag } from '../runtime/compiler/dag.js';
import { Engine } from '../runtime/engine/engine.js';
import { createLogger } from '../server/logger.js';
import { providerConfig } from '../server/provider/config.js';
import { ProviderPort } from '../server/provider/port.js';
import { machine } from './machine.js';
import { lookup } from './modules/provider-modules.js';
import type { Scenario } from './scenario.js';
import { round, summarise } from './stats.js';

/**
 * Module provider benchmark: the same module (bench/modules/provider-modules.ts) called from a
 * pipeline in-process (on the coordinator) and through a provider process over gRPC on
 * loopback — p50/p99 of one call and their difference (the protocol's overhead: tagged-JSON
 * encoding, a gRPC round trip, the provider's decoding), then the throughput of a pipeline
 * calling the provider module with 32 executions in flight. Part of `npm run bench`; alone:
 * `node dist/bench/provider.js [--quick]` (writes bench/results/provider.json).
 */

const PROVIDER_MAIN = fileURLToPath(new URL('./provider-main.js', import.meta.url));

function compileOrThrow(engine: Engine, source: string): Dag {
  const r = engine.compile(source);
  if (!r.ok || !r.dag) throw new Error(`bench pipeline does not compile: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.dag;
}

async function latencies(engine: Engine, dag: Dag, runs: number, warmup: number): Promise<number[]> {
  const inputs = { id: 7 };
  for (let i = 0; i < warmup; i++) await engine.run(dag, inputs);
  const out = new Array<number>(runs);
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = await engine.run(dag, inputs);
    out[i] = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 'completed') throw new Error(`bench run did not complete: ${JSON.stringify(r.errors)}`);
  }
  return out;
}

async function closedLoop(engine: Engine, dag: Dag, concurrency: number, ms: number): Promise<{ samples: number[]; rate: number }> {
  const samples: number[] = [];
  const started = performance.now();
  const end = started + ms;
  const worker = async (w: number) => {
    for (let i = 0; performance.now() < end; i++) {
      const t = performance.now();
      const r = await engine.run(dag, { id: w * 100_000 + i });
      if (r.status !== 'completed') throw new Error(`bench run did not complete: ${JSON.stringify(r.errors)}`);
      samples.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { samples, rate: samples.length / ((performance.now() - started) / 1000) };
}

export async function runProviderBench(opts: { quick: boolean }): Promise<Scenario[]> {
  const engine = new Engine({ modules: [{ module: lookup('bench.local') }], defaultModuleTimeoutMs: 60_000 });
  const port = await ProviderPort.start({ engine, config: providerConfig({ port: 0, host: '127.0.0.1' }), logger: createLogger({ level: 'silent', format: 'json' }) });
  const child = spawn(process.execPath, [PROVIDER_MAIN, `127.0.0.1:${port.port}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`provider process exited ${code}`)));
    });
    const source = (name: string) => `in id: Int\nr = ${name}(id, "eu")\nout r\n`;
    const local = compileOrThrow(engine, source('bench.local.Lookup'));
    const remote = compileOrThrow(engine, source('bench.remote.Lookup'));
    const runs = opts.quick ? 1000 : 10_000;
    const l = summarise(await latencies(engine, local, runs, runs / 5));
    const r = summarise(await latencies(engine, remote, runs, runs / 5));
    const window = opts.quick ? 1000 : 5000;
    await closedLoop(engine, remote, 32, 300);
    const t = await closedLoop(engine, remote, 32, window);
    const ts = summarise(t.samples);
    return [
      { name: 'provider-call', unit: 'ms', value: round(r.p50, 4), p50_ms: round(r.p50, 4), p99_ms: round(r.p99, 4), peers: { 'same-module-local-p50': round(l.p50, 4), 'same-module-local-p99': round(l.p99, 4) }, tool: 'in-process + provider process', note: 'one pipeline calling a provider module over gRPC on loopback, one execution at a time' },
      { name: 'provider-call-overhead', unit: 'ms', value: round(r.p50 - l.p50, 4), p50_ms: round(r.p50 - l.p50, 4), p99_ms: round(r.p99 - l.p99, 4), tool: 'in-process + provider process', note: 'provider call minus the same module run locally (p50 and p99 differences)' },
      { name: 'provider-throughput', unit: 'executions/s', value: round(t.rate, 0), p50_ms: round(ts.p50, 3), p99_ms: round(ts.p99, 3), tool: 'in-process + provider process', note: 'pipeline calling a provider module, 32 executions in flight, one provider process' },
    ];
  } finally {
    child.kill('SIGTERM');
    await port.close();
    await engine.close();
  }
}

/** `node dist/bench/provider.js [--quick]`: this benchmark alone; writes bench/results/provider.json. */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const started = performance.now();
  const scenarios = await runProviderBench({ quick });
  const file = fileURLToPath(new URL('../../bench/results/provider.json', import.meta.url));
  mkdirSync(dirname(file), { recursive: true });
  const loadAverage = loadavg()[0]!;
  writeFileSync(file, JSON.stringify({ bench: 'provider', machine: machine(), loadAverage: round(loadAverage, 2), mode: quick ? 'quick' : 'full', durationSeconds: Math.round((performance.now() - started) / 1000), scenarios }, null, 2) + '\n');
  for (const s of scenarios) process.stdout.write(`${s.name}: ${s.value} ${s.unit} (p50 ${s.p50_ms} ms, p99 ${s.p99_ms} ms)${s.peers ? ' ' + JSON.stringify(s.peers) : ''}\n`);
  process.stdout.write(`load average ${loadAverage.toFixed(2)}; wrote ${file}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  });
}
