import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually, run, startEngine, type EngineServer } from './support.js';

/**
 * `constellation provide <file>` serves a file's modules — here the example provider of
 * examples/providers — and the example pipeline calling them runs on the engine; SIGTERM makes
 * it leave and exit 0. And the server started by `npm start` opens the provider port when asked.
 */

const CLI = fileURLToPath(new URL('../../bin/constellation.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/providers/text-tools.js', import.meta.url));
const NO_MODULES = fileURLToPath(new URL('../../server/provider/namespaces.js', import.meta.url));
const SERVE_EXAMPLE = fileURLToPath(new URL('../../examples/providers/serve.js', import.meta.url));
const examples = fileURLToPath(new URL('../../../examples/providers/', import.meta.url));

let engine: EngineServer;
before(async () => {
  // the programmatic example heartbeats every 5 s (the default): a default heartbeat timeout
  engine = await startEngine({ CONSTELLATION_PROVIDER_HEARTBEAT_TIMEOUT: '15s' });
});
after(async () => {
  await engine.close();
});

interface Spawned {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

function spawnNode(args: string[], env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { child, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))), stdout: () => out, stderr: () => err };
}

const cli = (args: string[]) => spawnNode([CLI, ...args], { CONSTELLATION_PROVIDER_HEARTBEAT_INTERVAL: '200ms' });

describe('constellation provide', () => {
  test('serves the example provider; the example pipeline runs; SIGTERM leaves and exits 0', async () => {
    const p = cli(['provide', EXAMPLE, '--engine', engine.grpcAddress]);
    await eventually('the provider to serve', () => /Serving text\.tools\.Readability, text\.tools\.Slugify at 127\.0\.0\.1:\d+/.test(p.stdout()), 15_000);
    const source = readFileSync(`${examples}blog-post.cst`, 'utf8');
    const inputs = JSON.parse(readFileSync(`${examples}blog-post.inputs.json`, 'utf8')) as Record<string, unknown>;
    const r = await run(engine, source, inputs);
    assert.equal(r.json.status, 'completed', r.text);
    assert.deepEqual(r.json.outputs, { url: '/posts/hello-providers-modules-in-other-processes', words: 13, long: false });
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    assert.ok(!((await engine.get('/modules')).json.modules as any[]).some((m) => m.name.startsWith('text.tools.')));
  });

  test('the programmatic example (serveProvider) does the same', async () => {
    const p = spawnNode([SERVE_EXAMPLE], { CONSTELLATION_PROVIDER_ENGINES: engine.grpcAddress });
    await eventually('the example to serve', () => p.stdout().includes('serving text.tools'), 15_000);
    assert.equal((await run(engine, 'x = text.tools.Slugify("A B")\nout x')).json.outputs.x, 'a-b');
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  });

  test('usage errors: no engine, no namespace, a file without modules', async () => {
    const noEngine = cli(['provide', EXAMPLE]);
    assert.equal(await noEngine.exited, 10);
    assert.match(noEngine.stderr(), /needs at least one --engine/);
    const noModules = cli(['provide', NO_MODULES, '--engine', engine.grpcAddress, '--namespace', 'x']);
    assert.equal(await noModules.exited, 2);
    assert.match(noModules.stderr(), /exports no modules/);
  });

  test('a refused registration (reserved namespace) exits 2 with the reason', async () => {
    const p = cli(['provide', EXAMPLE, '--engine', engine.grpcAddress, '--namespace', 'stdlib.text']);
    assert.equal(await p.exited, 2);
    assert.match(p.stderr(), /Namespace 'stdlib\.text' is reserved/);
  });
});
