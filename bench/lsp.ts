/**
 * Language-server latency over a real WebSocket (issue 12): a real server with `/lsp`, a
 * vscode-jsonrpc client framing like the reference's VS Code extension, on the ~200-line fixture
 * (bench/fixtures/large.cst) and the generated 1000-node program.
 *
 * - diagnostics: an incremental `didChange`, then the time until `publishDiagnostics` for that
 *   version arrives, with the debounce set to 0 (lsp.md §11 measures from the end of the debounce);
 * - completion (after `record.`), hover (on a variable) and semantic tokens (full): each request
 *   follows an edit, so it pays for the analysis of the new text, as in an editor while typing.
 *
 *   node dist/bench/lsp.js [--quick]     (writes bench/results/lsp.json and lsp.md)
 *
 * The client runs in the server's process, as the other in-process scenarios do; its share of
 * each round trip (framing and JSON on the client side) is part of the figure.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connectClient, initialize, open, startLspServer, type LspClient } from '../test/helpers/lsp.js';
import { generateProgram } from './fixtures/generate.js';
import { machine } from './machine.js';
import type { Scenario } from './scenario.js';
import { round, summarise } from './stats.js';

interface Fixture {
  readonly name: string;
  readonly text: string;
  /** Where completion after a dot is asked. */
  readonly completion: { line: number; character: number };
  /** A variable reference to hover. */
  readonly hover: { line: number; character: number };
  readonly goalMs: number;
}

/** The position just after `needle`'s `after` part in the first line containing it. */
function positionOf(text: string, needle: string, after: string): { line: number; character: number } {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  if (line < 0) throw new Error(`fixture has no '${needle}'`);
  return { line, character: lines[line]!.indexOf(needle) + after.length };
}

function fixtures(): Fixture[] {
  const large = readFileSync(fileURLToPath(new URL('../../bench/fixtures/large.cst', import.meta.url)), 'utf8');
  const generated = generateProgram(1000);
  return [
    { name: '200-lines', text: large, completion: positionOf(large, 'system.maintenance', 'system.'), hover: positionOf(large, 'modernVersion = version', 'modernVersion = ve'), goalMs: 5 },
    { name: '1000-nodes', text: generated, completion: positionOf(generated, 'settings.bias', 'settings.'), hover: positionOf(generated, 'b0 = settings.strict or flag', 'b0 = settings.strict or fl'), goalMs: 50 },
  ];
}

const EDIT_LINE = '# edit 0';

/** Replaces the last line (the edit marker) with `# edit <n>`: a small incremental change. */
async function edit(client: LspClient, uri: string, fixture: Fixture, version: number, previous: string): Promise<string> {
  const line = fixture.text.split('\n').length;
  const next = `# edit ${version}`;
  await client.connection.sendNotification('textDocument/didChange', {
    textDocument: { uri, version },
    contentChanges: [{ range: { start: { line, character: 0 }, end: { line, character: previous.length } }, text: next }],
  });
  return next;
}

async function measure(runs: number, warmup: number, once: (i: number) => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const ms = await once(i);
    if (i >= warmup) samples.push(ms);
  }
  return samples;
}

function scenario(name: string, samples: number[], goalMs: number, note: string): Scenario {
  const s = summarise(samples);
  return {
    name,
    unit: 'ms',
    value: round(s.p50, 3),
    p50_ms: round(s.p50, 3),
    p99_ms: round(s.p99, 3),
    goal: `p99 <= ${goalMs} ms`,
    met: s.p99 <= goalMs,
    tool: 'WebSocket, vscode-jsonrpc',
    note,
  };
}

export async function runLspBench(options: { quick?: boolean } = {}): Promise<Scenario[]> {
  const runs = options.quick ? 60 : 400;
  const warmup = options.quick ? 20 : 100;
  const out: Scenario[] = [];
  for (const fixture of fixtures()) {
    const text = `${fixture.text}\n${EDIT_LINE}`;
    // diagnostics with no debounce: from the edit to the published list
    {
      const server = await startLspServer({ CONSTELLATION_LSP_DEBOUNCE: '0ms', CONSTELLATION_LOG_LEVEL: 'silent' });
      const client = await connectClient(server.url);
      await initialize(client);
      const uri = `file:///bench/${fixture.name}.cst`;
      await open(client, uri, text);
      await client.nextDiagnostics(uri);
      let marker = EDIT_LINE;
      let version = 1;
      const samples = await measure(runs, warmup, async () => {
        version++;
        const published = client.nextDiagnostics(uri);
        const started = performance.now();
        marker = await edit(client, uri, fixture, version, marker);
        await published;
        return performance.now() - started;
      });
      out.push(scenario(`lsp-diagnostics-${fixture.name}`, samples, fixture.goalMs, 'didChange → publishDiagnostics, debounce 0'));
      await client.close();
      await server.close();
    }
    // requests right after an edit (the default debounce has not fired: the request analyses)
    const server = await startLspServer({ CONSTELLATION_LSP_DEBOUNCE: '10s', CONSTELLATION_LOG_LEVEL: 'silent' });
    const client = await connectClient(server.url);
    await initialize(client);
    const uri = `file:///bench/${fixture.name}.cst`;
    await open(client, uri, text);
    let marker = EDIT_LINE;
    let version = 1;
    const requests: [string, string, unknown][] = [
      ['completion', 'textDocument/completion', { textDocument: { uri }, position: fixture.completion }],
      ['hover', 'textDocument/hover', { textDocument: { uri }, position: fixture.hover }],
      ['semantic-tokens', 'textDocument/semanticTokens/full', { textDocument: { uri } }],
    ];
    for (const [label, method, params] of requests) {
      const first = (await client.connection.sendRequest<any>(method, params)) as any;
      if (first === null || (label === 'completion' && first.items.length === 0) || (label === 'semantic-tokens' && first.data.length === 0)) {
        throw new Error(`${method} on ${fixture.name} answered nothing: the bench would measure an empty answer`);
      }
      const samples = await measure(runs, warmup, async () => {
        marker = await edit(client, uri, fixture, ++version, marker);
        const started = performance.now();
        await client.connection.sendRequest(method, params);
        return performance.now() - started;
      });
      out.push(scenario(`lsp-${label}-${fixture.name}`, samples, fixture.goalMs, `${method} after an edit (includes the analysis)`));
    }
    await client.close();
    await server.close();
  }
  return out;
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry) {
  const quick = process.argv.includes('--quick');
  const loadAtStart = loadavg()[0]!;
  const rows = await runLspBench({ quick });
  const m = machine();
  const lines = [
    `Measured ${m.date} on ${m.cores} cores (${m.cpu}), load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end, Node ${m.node}; ${quick ? 'quick' : 'full'} run.`,
    '',
    '| scenario | p50 ms | p99 ms | goal | met |',
    '|---|---:|---:|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.p50_ms} | ${r.p99_ms} | ${r.goal} | ${r.met ? 'yes' : '**no**'} |`),
    '',
  ];
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}lsp.json`, JSON.stringify({ machine: m, loadAverage: { start: loadAtStart, end: loadavg()[0] }, mode: quick ? 'quick' : 'full', scenarios: rows }, null, 2) + '\n');
  writeFileSync(`${dir}lsp.md`, lines.join('\n'));
  process.stdout.write(lines.join('\n'));
}
