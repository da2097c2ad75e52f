import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runClusterBench } from './cluster.js';
import { runCompileBench } from './compile.js';
import { runDashboardBench } from './dashboard.js';
import { runCoordinationBench } from './coordination.js';
import { runEngineBench, runMemoryBench } from './engine.js';
import { runHttpBench } from './http.js';
import { runProviderBench } from './provider.js';
import { runRequestPathBench } from './request-path.js';
import { ensureWrk } from './load.js';
import { runLspBench } from './lsp.js';
import { machine } from './machine.js';
import { runStoresBench } from './stores.js';
import type { Scenario } from './scenario.js';

/**
 * `npm run bench [-- --quick] [-- --only=compile,engine,request-path,memory,dashboard,provider,lsp,http,stores,cluster,coordination]`: every scenario in one run,
 * written to bench/results/latest.json (the shape other tools read) and latest.md (the table
 * the README shows). Run on a quiet machine: the figures are only comparable within one run.
 */

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const want = (group: string) => !only || only.includes(group);

async function memoryInChild(): Promise<Scenario[]> {
  // a fresh process with --expose-gc, so readings are not polluted by the other scenarios
  const script = fileURLToPath(new URL('./memory-main.js', import.meta.url));
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', script, ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`memory bench exited ${code}`))));
  });
  return JSON.parse(out) as Scenario[];
}

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '—';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return String(n);
}

function table(scenarios: readonly Scenario[]): string {
  const lines = [
    '| scenario | ours | unit | p50 ms | p99 ms | peers | ratio | goal | met | tool |',
    '|---|---:|---|---:|---:|---|---:|---|---|---|',
  ];
  for (const s of scenarios) {
    const peers = s.peers ? Object.entries(s.peers).map(([k, v]) => `${k}: ${fmt(v)}`).join('; ') : '';
    const met = s.met === undefined ? '' : s.met ? 'yes' : '**no**';
    lines.push(`| ${s.name} | ${fmt(s.value)} | ${s.unit} | ${fmt(s.p50_ms)} | ${fmt(s.p99_ms)} | ${peers} | ${fmt(s.ratio)} | ${s.goal ?? ''} | ${met} | ${s.tool ?? ''} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const scenarios: Scenario[] = [];
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  if (want('compile')) {
    log('compile');
    for (const s of await runCompileBench({ quick })) scenarios.push({ ...s, tool: 'in-process' });
  }
  if (want('engine')) {
    log('engine');
    scenarios.push(...(await runEngineBench({ quick })));
  }
  if (want('request-path')) {
    log('request path (per step)');
    scenarios.push(...(await runRequestPathBench({ quick })));
  }
  if (want('memory')) {
    log('memory');
    scenarios.push(...(await memoryInChild()));
  }
  if (want('dashboard')) {
    log('dashboard (Chromium)');
    scenarios.push(...(await runDashboardBench({ quick })));
  }
  if (want('provider')) {
    log('provider');
    scenarios.push(...(await runProviderBench({ quick })));
  }
  if (want('lsp')) {
    log('lsp');
    scenarios.push(...(await runLspBench({ quick })));
  }
  if (want('http')) {
    log('http');
    ensureWrk(log);
    scenarios.push(...(await runHttpBench({ quick })));
  }
  // the stores under abuse take minutes at full size: in a quick run only when asked for
  if (quick ? only?.includes('stores') : want('stores')) {
    log('stores');
    scenarios.push(...(await runStoresBench({ quick })));
  }
  if (want('cluster')) {
    log('cluster');
    ensureWrk(log);
    scenarios.push(...(await runClusterBench({ quick })));
  }
  if (want('coordination')) {
    log('coordination');
    scenarios.push(...(await runCoordinationBench({ quick })));
  }
  const result = { machine: machine(), mode: quick ? 'quick' : 'full', durationSeconds: Math.round((performance.now() - started) / 1000), scenarios };
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  let earlier: string | undefined;
  if (only) {
    // a partial run replaces its own rows and keeps the others of the last full run
    try {
      const previous = JSON.parse(readFileSync(`${dir}latest.json`, 'utf8')) as { scenarios?: Scenario[]; machine?: { date?: string } };
      earlier = previous.machine?.date;
      const fresh = new Set(scenarios.map((s) => s.name));
      const kept = (previous.scenarios ?? []).filter((s) => !fresh.has(s.name));
      scenarios.splice(0, scenarios.length, ...kept, ...scenarios);
    } catch {
      // no previous results: this run's rows alone
    }
  }
  writeFileSync(`${dir}latest.json`, JSON.stringify(result, null, 2) + '\n');
  const m = result.machine;
  const md = [
    `Measured ${m.date} on ${m.cores} cores (${m.cpu}), ${m.memoryGb} GiB, Node ${m.node}, ${m.os}; ${result.mode} run, ${result.durationSeconds} s, load average ${m.loadAverage} at the end` +
      (only && earlier ? ` (the ${only.join(', ')} rows; the others from the run of ${earlier}).` : '.'),
    '',
    table(scenarios),
    '',
  ].join('\n');
  writeFileSync(`${dir}latest.md`, md);
  process.stdout.write(md);
  const missed = scenarios.filter((s) => s.met === false).map((s) => s.name);
  log(missed.length ? `goals missed: ${missed.join(', ')}` : 'all goals met');
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
