import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wrk, type LoadResult } from './load.js';
import { PIPELINES } from './modules/bench-modules.js';
import type { Scenario } from './scenario.js';
import { median, round } from './stats.js';

/**
 * HTTP benchmarks, all in one run on the same machine and load generator (wrk, loopback):
 * the raw uWS ceiling, Constellation's routes, and the peers (hand-written node:http,
 * hand-written Fastify 5, Moleculer 0.14 + moleculer-web) on the same compositions. Every
 * server runs in its own process, so each competes with wrk for the machine the same way.
 *
 * Besides requests per second, every figure records the CPU time its server process spent per
 * request (user + system, all its threads, from /proc): on a shared machine throughput moves
 * with the load, CPU time per request much less, and "µs per request above the ceiling" says
 * where each server spends its time beyond parsing a body and writing a reply.
 */

/** One wrk run and the CPU time per request its server spent meanwhile. */
type Sample = LoadResult & { readonly cpuUs: number };

const dist = (p: string) => fileURLToPath(new URL(p, import.meta.url));

interface Proc {
  readonly port: number;
  /** CPU seconds (user + system) the process has used so far; NaN where /proc is missing. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

function cpuSecondsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

async function startProcess(args: string[], env: Record<string, string>, readyPattern: RegExp, portFrom: (m: RegExpExecArray) => number): Promise<Proc> {
  const child: ChildProcess = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not start: ${args.join(' ')}\n${output}`)), 20_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = readyPattern.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(portFrom(m));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`process exited (${code}): ${output}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    port,
    cpuSeconds: () => cpuSecondsOf(child.pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

async function post(port: number, path: string, body: unknown): Promise<unknown> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return r.json();
}

export async function runHttpBench(opts: { quick: boolean }): Promise<Scenario[]> {
  // quick mode fits the whole bench in under a minute: 2 s per figure, one repetition
  const seconds = opts.quick ? 2 : 5;
  const reps = opts.quick ? 1 : 3;
  const dataDir = mkdtempSync(join(tmpdir(), 'constellation-bench-data-'));
  const scenarios: Scenario[] = [];
  const procs: Proc[] = [];
  try {
    // Every server runs at once (idle ones cost nothing) and the figures are taken round-robin,
    // one repetition across all targets at a time: a noisy minute on the machine then touches
    // ours and the peers alike instead of skewing the ratios.
    const ceiling = await startProcess([dist('./peers/uws-ceiling.js'), '0'], {}, /ceiling on (\d+)/, (m) => Number(m[1]));
    procs.push(ceiling);
    const ours = await startProcess(
      [dist('../server/main.js')],
      {
        CONSTELLATION_PORT: '0', CONSTELLATION_HOST: '127.0.0.1', CONSTELLATION_DATA_DIR: dataDir, CONSTELLATION_LOG_LEVEL: 'info',
        CONSTELLATION_LOG_FORMAT: 'json', CONSTELLATION_MODULES: dist('./modules/bench-modules.js'), CONSTELLATION_EXAMPLE_MODULES: 'false',
      },
      /"port":(\d+)/,
      (m) => Number(m[1]),
    );
    procs.push(ours);
    const nodeHttp = await startProcess([dist('./peers/node-http.js'), '0'], {}, /listening (\d+)/, (m) => Number(m[1]));
    procs.push(nodeHttp);
    const mol = await startProcess([dist('./peers/moleculer.js'), '0'], {}, /listening (\d+)/, (m) => Number(m[1]));
    procs.push(mol);
    const fastify = await startProcess([dist('./peers/fastify.js'), '0'], {}, /listening (\d+)/, (m) => Number(m[1]));
    procs.push(fastify);

    const compileNamed = async (name: string, source: string) => {
      const r = (await post(ours.port, '/compile', { source, name })) as { success: boolean; errors: string[] };
      if (!r.success) throw new Error(`bench pipeline ${name} does not compile: ${r.errors.join('; ')}`);
    };
    await compileNamed('trivial', PIPELINES.trivial());
    await compileNamed('composition', PIPELINES.composition(''));
    await compileNamed('composition-worker', PIPELINES.composition('W'));
    await compileNamed('chain3', PIPELINES.chain3(''));
    await compileNamed('fanout-io', PIPELINES.fanoutIo(''));
    await compileNamed('fanout-io-worker', PIPELINES.fanoutIo('W'));

    const targets: Record<string, { proc: Proc; path: string; body?: unknown; method?: string }> = {
      hello: { proc: ceiling, path: '/hello', method: 'GET' },
      echo: { proc: ceiling, path: '/echo', body: { ref: 'trivial', inputs: { x: 41 } } },
      exec: { proc: ours, path: '/execute', body: { ref: 'trivial', inputs: { x: 41 } } },
      run: { proc: ours, path: '/run', body: { source: PIPELINES.trivial(), inputs: { x: 41 } } },
      comp: { proc: ours, path: '/execute', body: { ref: 'composition', inputs: { id: 7 } } },
      compW: { proc: ours, path: '/execute', body: { ref: 'composition-worker', inputs: { id: 7 } } },
      chain: { proc: ours, path: '/execute', body: { ref: 'chain3', inputs: { value: 3 } } },
      fan: { proc: ours, path: '/execute', body: { ref: 'fanout-io', inputs: { ms: 10 } } },
      fanW: { proc: ours, path: '/execute', body: { ref: 'fanout-io-worker', inputs: { ms: 10 } } },
      nComp: { proc: nodeHttp, path: '/composition', body: { id: 7 } },
      nChain: { proc: nodeHttp, path: '/chain', body: { value: 3 } },
      nFan: { proc: nodeHttp, path: '/fanout-io', body: { ms: 10 } },
      fComp: { proc: fastify, path: '/composition', body: { id: 7 } },
      fChain: { proc: fastify, path: '/chain', body: { value: 3 } },
      fFan: { proc: fastify, path: '/fanout-io', body: { ms: 10 } },
      mComp: { proc: mol, path: '/composition', body: { id: 7 } },
      mChain: { proc: mol, path: '/chain', body: { value: 3 } },
      mFan: { proc: mol, path: '/fanout-io', body: { ms: 10 } },
    };
    /** One wrk run, with the CPU time the server spent per request during it (µs). */
    const once = async (t: (typeof targets)[string], secs: number): Promise<Sample> => {
      const cpuBefore = t.proc.cpuSeconds();
      const r = await wrk(`http://127.0.0.1:${t.proc.port}${t.path}`, { method: t.method ?? 'POST', ...(t.body !== undefined ? { body: JSON.stringify(t.body) } : {}), seconds: secs });
      return { ...r, cpuUs: ((t.proc.cpuSeconds() - cpuBefore) * 1e6) / Math.max(1, r.rps * secs) };
    };
    // warm-up: JIT and connection set-up of every route (quick mode: of every server)
    const warmed = new Set<Proc>();
    for (const t of Object.values(targets)) {
      if (opts.quick && warmed.has(t.proc)) continue;
      warmed.add(t.proc);
      await once(t, 1);
    }
    const samples = new Map<string, Sample[]>();
    for (let rep = 0; rep < reps; rep++) {
      for (const [label, t] of Object.entries(targets)) {
        process.stderr.write(`[bench] http ${rep + 1}/${reps} ${label} ${t.method ?? 'POST'} :${t.proc.port}${t.path}\n`);
        const r = await once(t, seconds);
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${label}: ${r.non2xx} non-2xx responses, ${r.errors} socket errors`);
        samples.set(label, [...(samples.get(label) ?? []), r]);
      }
    }
    // the repetition with the median throughput stands for each target
    // (and the median CPU time per request over the repetitions)
    const pick = (label: string): Sample => {
      const runs = samples.get(label)!;
      const m = median(runs.map((x) => x.rps));
      return { ...(runs.find((r) => r.rps === m) ?? runs[0]!), cpuUs: median(runs.map((x) => x.cpuUs)) };
    };
    const [hello, echo, exec, run, comp, compW, chain, fan, fanW, nComp, nChain, nFan, fComp, fChain, fFan, mComp, mChain, mFan] = [
      'hello', 'echo', 'exec', 'run', 'comp', 'compW', 'chain', 'fan', 'fanW', 'nComp', 'nChain', 'nFan', 'fComp', 'fChain', 'fFan', 'mComp', 'mChain', 'mFan',
    ].map(pick) as Sample[] as [Sample, Sample, Sample, Sample, Sample, Sample, Sample, Sample, Sample, Sample, Sample, Sample, Sample, Sample, Sample, Sample, Sample, Sample];
    // CPU µs per request beyond the ceiling's (parse a body, write a reply)
    const above = (x: Sample) => round(x.cpuUs - echo.cpuUs, 2);
    scenarios.push({ name: 'ceiling-get-hello', unit: 'req/s', value: round(hello.rps, 0), p50_ms: round(hello.p50_ms), p99_ms: round(hello.p99_ms), tool: 'wrk -t1 -c64', note: 'raw uWS GET hello world' });
    scenarios.push({ name: 'ceiling-post-echo', unit: 'req/s', value: round(echo.rps, 0), p50_ms: round(echo.p50_ms), p99_ms: round(echo.p99_ms), tool: 'wrk -t1 -c64', note: 'raw uWS POST: parse the JSON body, write a JSON reply' });

    const tool = 'wrk -t1 -c64';
    scenarios.push({
      name: 'execute-trivial', unit: 'req/s', value: round(exec.rps, 0), p50_ms: round(exec.p50_ms), p99_ms: round(exec.p99_ms), peers: { 'uws-post-echo': round(echo.rps, 0) },
      ratio: round(exec.rps / echo.rps, 3), goal: '≥ 0.6 × raw uWS POST-echo', met: exec.rps / echo.rps >= 0.6, tool, note: 'POST /execute of `in x: Int; y = x + 1; out y` by alias',
    });
    scenarios.push({
      name: 'run-cached', unit: 'req/s', value: round(run.rps, 0), p50_ms: round(run.p50_ms), p99_ms: round(run.p99_ms), peers: { 'uws-post-echo': round(echo.rps, 0) },
      ratio: round(run.rps / echo.rps, 3), goal: '≥ 0.5 × raw uWS POST-echo', met: run.rps / echo.rps >= 0.5, tool, note: 'POST /run of an already-seen source (compile cache hit)',
    });
    const compRatio = comp.rps / mComp.rps;
    scenarios.push({
      name: 'composition-vs-moleculer', unit: 'req/s', value: round(comp.rps, 0), p50_ms: round(comp.p50_ms), p99_ms: round(comp.p99_ms),
      peers: {
        moleculer: round(mComp.rps, 0), 'node-http': round(nComp.rps, 0), fastify: round(fComp.rps, 0),
        'moleculer-p99-ms': round(mComp.p99_ms), 'node-http-p99-ms': round(nComp.p99_ms), 'fastify-p99-ms': round(fComp.p99_ms),
      },
      ratio: round(compRatio, 2), goal: '≥ 3 × Moleculer at ≤ its p99, and ahead of hand-written node:http and Fastify',
      met: compRatio >= 3 && comp.p99_ms <= mComp.p99_ms && comp.rps > nComp.rps && comp.rps > fComp.rps, tool,
      note: 'three module calls in parallel, merged (modules on the coordinator, like Moleculer local actions)',
    });
    scenarios.push({
      name: 'composition-worker-pool', unit: 'req/s', value: round(compW.rps, 0), p50_ms: round(compW.p50_ms), p99_ms: round(compW.p99_ms),
      peers: { moleculer: round(mComp.rps, 0), 'node-http': round(nComp.rps, 0) }, ratio: round(compW.rps / mComp.rps, 2), tool,
      note: 'the same composition with the three modules on the worker pool (batched hops)',
    });
    scenarios.push({
      name: 'chain-3-http', unit: 'req/s', value: round(chain.rps, 0), p50_ms: round(chain.p50_ms), p99_ms: round(chain.p99_ms),
      peers: { moleculer: round(mChain.rps, 0), 'node-http': round(nChain.rps, 0), fastify: round(fChain.rps, 0) }, ratio: round(chain.rps / mChain.rps, 2), tool, note: 'three modules in sequence',
    });
    scenarios.push({
      name: 'fanout-io-http', unit: 'ms', value: round(fan.p50_ms), p50_ms: round(fan.p50_ms), p99_ms: round(fan.p99_ms),
      peers: { moleculer: round(mFan.p50_ms), 'node-http': round(nFan.p50_ms), fastify: round(fFan.p50_ms), 'ours-worker-pool': round(fanW.p50_ms) }, goal: 'p50 ≤ 11 ms', met: fan.p50_ms <= 11, tool,
      note: `8 modules × 10 ms I/O, 64 connections; ${round(fan.rps, 0)} req/s (Moleculer ${round(mFan.rps, 0)}, node:http ${round(nFan.rps, 0)}, Fastify ${round(fFan.rps, 0)})`,
    });
    // where each server spends its time: CPU per request beyond the ceiling's
    scenarios.push({
      name: 'cpu-above-ceiling-execute', unit: 'µs/request', value: above(exec), peers: { 'ceiling-cpu-us': round(echo.cpuUs, 2), 'run-cached': above(run) }, tool,
      note: `CPU (user + system, the server process) per request of /execute trivial beyond the POST-echo ceiling's ${round(echo.cpuUs, 2)} µs`,
    });
    scenarios.push({
      name: 'cpu-above-ceiling-composition', unit: 'µs/request', value: above(comp),
      peers: { 'node-http': above(nComp), fastify: above(fComp), moleculer: above(mComp), 'ours-chain-3': above(chain), 'node-http-chain-3': above(nChain), 'fastify-chain-3': above(fChain), 'moleculer-chain-3': above(mChain) },
      tool, note: 'CPU per request of the three-call composition (and the three-step chain) beyond the ceiling, for every server',
    });
  } finally {
    for (const p of procs) await p.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
  return scenarios;
}
