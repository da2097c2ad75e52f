import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import type { Dag } from '../runtime/compiler/dag.js';
import { Engine } from '../runtime/engine/engine.js';
import { createLogger } from '../server/logger.js';
import { providerConfig } from '../server/provider/config.js';
import type { ExecutorClient } from '../server/provider/executor-channels.js';
import { ProviderPort } from '../server/provider/port.js';
import { services } from '../server/provider/proto.js';
import { machine } from './machine.js';
import { lookup } from './modules/provider-modules.js';
import type { Scenario } from './scenario.js';
import { round, summarise } from './stats.js';

type Summary = ReturnType<typeof summarise>;

/**
 * Module provider benchmark: the same module (bench/modules/provider-modules.ts) called from a
 * pipeline in-process (on the coordinator) and through a provider process over gRPC on
 * loopback — p50/p99 of one call and their difference (the protocol's overhead: tagged-JSON
 * encoding, a gRPC round trip, the provider's decoding), then the throughput of a pipeline
 * calling the provider module with 32 executions in flight. Beside them, the floor: bare
 * grpc-js calls to a constant answer served by the same provider process. The subjects are
 * measured in turns (one call each, round-robin; alternating throughput windows) so load on a
 * shared machine falls on all of them alike. Part of `npm run bench`; alone:
 * `node dist/bench/provider.js [--quick]` (writes bench/results/provider.json).
 */

const PROVIDER_MAIN = fileURLToPath(new URL('./provider-main.js', import.meta.url));

function compileOrThrow(engine: Engine, source: string): Dag {
  const r = engine.compile(source);
  if (!r.ok || !r.dag) throw new Error(`bench pipeline does not compile: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.dag;
}

/** One call of a subject; `i` varies the input. */
type Subject = (i: number) => Promise<void>;

function pipeline(engine: Engine, dag: Dag): Subject {
  return async (i) => {
    const r = await engine.run(dag, { id: i });
    if (r.status !== 'completed') throw new Error(`bench run did not complete: ${JSON.stringify(r.errors)}`);
  };
}

/** A bare grpc-js unary call to a constant answer (no engine, no codec): the floor of a provider call. */
function bareCall(client: ExecutorClient): Subject {
  const request = { moduleName: 'Lookup', inputData: Buffer.from(JSON.stringify({ tag: 'CProduct', value: { id: { tag: 'CInt', value: 7 } } })), executionId: 'floor', metadata: {} };
  return () => new Promise<void>((resolve, reject) => client.execute(request, new grpc.Metadata(), {}, (e) => (e ? reject(e) : resolve())));
}

/**
 * Latencies of several subjects, one call of each in turn (round-robin), so the machine's noise
 * falls on all of them alike.
 */
async function interleavedLatencies(subjects: readonly Subject[], runs: number): Promise<number[][]> {
  const samples = subjects.map(() => new Array<number>(runs));
  for (let i = 0; i < runs / 5; i++) for (const call of subjects) await call(i);
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < subjects.length; k++) {
      const t = process.hrtime.bigint();
      await subjects[k]!(i);
      samples[k]![i] = Number(process.hrtime.bigint() - t) / 1e6;
    }
  }
  return samples;
}

/** `concurrency` callers in a closed loop for `ms`: calls per second and per-call latencies. */
async function closedLoop(call: Subject, concurrency: number, ms: number): Promise<{ samples: number[]; rate: number }> {
  const samples: number[] = [];
  const started = performance.now();
  const end = started + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        await call(w * 100_000 + i);
        samples.push(performance.now() - t);
      }
    }),
  );
  return { samples, rate: samples.length / ((performance.now() - started) / 1000) };
}

export async function runProviderBench(opts: { quick: boolean }): Promise<Scenario[]> {
  const engine = new Engine({ modules: [{ module: lookup('bench.local') }], defaultModuleTimeoutMs: 60_000 });
  const port = await ProviderPort.start({ engine, config: providerConfig({ port: 0, host: '127.0.0.1' }), logger: createLogger({ level: 'silent', format: 'json' }) });
  const child = spawn(process.execPath, [PROVIDER_MAIN, `127.0.0.1:${port.port}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const floorPort = await new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        const m = /ready (\d+)/.exec(d.toString());
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`provider process exited ${code}`)));
    });
    const source = (name: string) => `in id: Int\nr = ${name}(id, "eu")\nout r\n`;
    const local = pipeline(engine, compileOrThrow(engine, source('bench.local.Lookup')));
    const remote = pipeline(engine, compileOrThrow(engine, source('bench.remote.Lookup')));
    const client = new (services().ModuleExecutor)(`127.0.0.1:${floorPort}`, grpc.credentials.createInsecure()) as unknown as ExecutorClient;
    const bare = bareCall(client);
    const runs = opts.quick ? 1000 : 10_000;
    const [l, r, f] = (await interleavedLatencies([local, remote, bare], runs)).map(summarise) as [Summary, Summary, Summary];
    // throughput: ours and the bare floor in alternating windows
    const window = opts.quick ? 500 : 1000;
    const ours = { calls: 0, seconds: 0, samples: [] as number[] };
    const floorRate = { calls: 0, seconds: 0 };
    await closedLoop(remote, 32, 300);
    for (let round = 0; round < (opts.quick ? 2 : 5); round++) {
      const a = await closedLoop(remote, 32, window);
      ours.calls += a.samples.length;
      ours.seconds += a.samples.length / a.rate;
      ours.samples.push(...a.samples);
      const b = await closedLoop(bare, 32, window);
      floorRate.calls += b.samples.length;
      floorRate.seconds += b.samples.length / b.rate;
    }
    client.close();
    const t = { rate: ours.calls / ours.seconds };
    const floor = { p50: f.p50, p99: f.p99, rate: floorRate.calls / floorRate.seconds };
    const ts = summarise(ours.samples);
    return [
      {
        name: 'provider-call', unit: 'ms', value: round(r.p50, 4), p50_ms: round(r.p50, 4), p99_ms: round(r.p99, 4),
        peers: { 'same-module-local-p50': round(l.p50, 4), 'same-module-local-p99': round(l.p99, 4), 'grpc-floor-p50': round(floor.p50, 4), 'grpc-floor-p99': round(floor.p99, 4) },
        tool: 'in-process + provider process', note: 'one pipeline calling a provider module over gRPC on loopback, one execution at a time; grpc-floor: a bare grpc-js unary call to a constant answer',
      },
      { name: 'provider-call-overhead', unit: 'ms', value: round(r.p50 - l.p50, 4), p50_ms: round(r.p50 - l.p50, 4), p99_ms: round(r.p99 - l.p99, 4), tool: 'in-process + provider process', note: 'provider call minus the same module run locally (p50 and p99 differences)' },
      {
        name: 'provider-throughput', unit: 'executions/s', value: round(t.rate, 0), p50_ms: round(ts.p50, 3), p99_ms: round(ts.p99, 3),
        peers: { 'grpc-floor-calls/s': round(floor.rate, 0) }, ratio: round(t.rate / floor.rate, 2),
        tool: 'in-process + provider process', note: 'pipeline calling a provider module, 32 executions in flight, one provider process; grpc-floor: bare grpc-js calls, 32 in flight',
      },
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
