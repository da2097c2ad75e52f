import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
 * Moleculer 0.14 + moleculer-web) on the same compositions. Every server runs in its own
 * process, so each competes with wrk for the machine the same way.
 */

const dist = (p: string) => fileURLToPath(new URL(p, import.meta.url));

interface Proc {
  readonly port: number;
  stop(): Promise<void>;
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
  // quick mode fits the whole bench in under a minute: 2 s per figure, one 1 s warm-up per server
  const seconds = opts.quick ? 2 : 6;
  const reps = opts.quick ? 1 : 3;
  const warm = opts.quick ? 1 : 2;
  const warmed = new Set<number>();
  const dataDir = mkdtempSync(join(tmpdir(), 'constellation-bench-data-'));
  const load = async (port: number, path: string, body?: unknown, method = 'POST'): Promise<LoadResult> => {
    const url = `http://127.0.0.1:${port}${path}`;
    process.stderr.write(`[bench] wrk ${method} ${path} ${body === undefined ? '' : JSON.stringify(body).slice(0, 60)}\n`);
    const text = body === undefined ? undefined : JSON.stringify(body);
    if (!opts.quick || !warmed.has(port)) await wrk(url, { method, ...(text !== undefined ? { body: text } : {}), seconds: warm });
    warmed.add(port);
    const runs: LoadResult[] = [];
    for (let i = 0; i < reps; i++) runs.push(await wrk(url, { method, ...(text !== undefined ? { body: text } : {}), seconds }));
    const best = runs.find((r) => r.rps === median(runs.map((x) => x.rps))) ?? runs[0]!;
    if (best.non2xx > 0 || best.errors > 0) throw new Error(`${url}: ${best.non2xx} non-2xx responses, ${best.errors} socket errors`);
    return best;
  };

  const scenarios: Scenario[] = [];
  const procs: Proc[] = [];
  try {
    // the ceiling
    const ceiling = await startProcess([dist('./peers/uws-ceiling.js'), '0'], {}, /ceiling on (\d+)/, (m) => Number(m[1]));
    procs.push(ceiling);
    const hello = await load(ceiling.port, '/hello', undefined, 'GET');
    const echo = await load(ceiling.port, '/echo', { ref: 'trivial', inputs: { x: 41 } });
    await ceiling.stop();
    scenarios.push({ name: 'ceiling-get-hello', unit: 'req/s', value: round(hello.rps, 0), p50_ms: round(hello.p50_ms), p99_ms: round(hello.p99_ms), tool: 'wrk -t1 -c64', note: 'raw uWS GET hello world' });
    scenarios.push({ name: 'ceiling-post-echo', unit: 'req/s', value: round(echo.rps, 0), p50_ms: round(echo.p50_ms), p99_ms: round(echo.p99_ms), tool: 'wrk -t1 -c64', note: 'raw uWS POST: parse the JSON body, write a JSON reply' });

    // Constellation
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

    const exec = await load(ours.port, '/execute', { ref: 'trivial', inputs: { x: 41 } });
    const run = await load(ours.port, '/run', { source: PIPELINES.trivial(), inputs: { x: 41 } });
    const comp = await load(ours.port, '/execute', { ref: 'composition', inputs: { id: 7 } });
    const compW = await load(ours.port, '/execute', { ref: 'composition-worker', inputs: { id: 7 } });
    const chain = await load(ours.port, '/execute', { ref: 'chain3', inputs: { value: 3 } });
    const fan = await load(ours.port, '/execute', { ref: 'fanout-io', inputs: { ms: 10 } });
    const fanW = await load(ours.port, '/execute', { ref: 'fanout-io-worker', inputs: { ms: 10 } });
    await ours.stop();

    // peers
    const nodeHttp = await startProcess([dist('./peers/node-http.js'), '0'], {}, /listening (\d+)/, (m) => Number(m[1]));
    procs.push(nodeHttp);
    const nComp = await load(nodeHttp.port, '/composition', { id: 7 });
    const nChain = await load(nodeHttp.port, '/chain', { value: 3 });
    const nFan = await load(nodeHttp.port, '/fanout-io', { ms: 10 });
    await nodeHttp.stop();
    const mol = await startProcess([dist('./peers/moleculer.js'), '0'], {}, /listening (\d+)/, (m) => Number(m[1]));
    procs.push(mol);
    const mComp = await load(mol.port, '/composition', { id: 7 });
    const mChain = await load(mol.port, '/chain', { value: 3 });
    const mFan = await load(mol.port, '/fanout-io', { ms: 10 });
    await mol.stop();

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
      peers: { moleculer: round(mComp.rps, 0), 'node-http': round(nComp.rps, 0), 'moleculer-p99-ms': round(mComp.p99_ms), 'node-http-p99-ms': round(nComp.p99_ms) },
      ratio: round(compRatio, 2), goal: '≥ 3 × Moleculer at ≤ its p99, and ahead of hand-written node:http',
      met: compRatio >= 3 && comp.p99_ms <= mComp.p99_ms && comp.rps > nComp.rps, tool, note: 'three module calls in parallel, merged (modules on the coordinator, like Moleculer local actions)',
    });
    scenarios.push({
      name: 'composition-worker-pool', unit: 'req/s', value: round(compW.rps, 0), p50_ms: round(compW.p50_ms), p99_ms: round(compW.p99_ms),
      peers: { moleculer: round(mComp.rps, 0), 'node-http': round(nComp.rps, 0) }, ratio: round(compW.rps / mComp.rps, 2), tool,
      note: 'the same composition with the three modules on the worker pool (batched hops)',
    });
    scenarios.push({
      name: 'chain-3-http', unit: 'req/s', value: round(chain.rps, 0), p50_ms: round(chain.p50_ms), p99_ms: round(chain.p99_ms),
      peers: { moleculer: round(mChain.rps, 0), 'node-http': round(nChain.rps, 0) }, ratio: round(chain.rps / mChain.rps, 2), tool, note: 'three modules in sequence',
    });
    scenarios.push({
      name: 'fanout-io-http', unit: 'ms', value: round(fan.p50_ms), p50_ms: round(fan.p50_ms), p99_ms: round(fan.p99_ms),
      peers: { moleculer: round(mFan.p50_ms), 'node-http': round(nFan.p50_ms), 'ours-worker-pool': round(fanW.p50_ms) }, goal: 'p50 ≤ 11 ms', met: fan.p50_ms <= 11, tool,
      note: `8 modules × 10 ms I/O, 64 connections; ${round(fan.rps, 0)} req/s (Moleculer ${round(mFan.rps, 0)}, node:http ${round(nFan.rps, 0)})`,
    });
  } finally {
    for (const p of procs) await p.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
  return scenarios;
}
