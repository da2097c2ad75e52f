import assert from 'node:assert/strict';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../helpers/server.js';
import { tempDir } from '../helpers/http.js';

/**
 * The dashboard API (`/api/v1`) and static files over real HTTP, and the live-events WebSocket
 * with a real client: files with path traversal refused, preview, execute (sync and async with
 * events subscribed first), history with per-node states, precompressed assets, the switch.
 */

const GREET = `@example("Ada")
in name: String
@example(2)
in times: Int
in loud: Optional<Boolean>

upper = Uppercase(name)
line = "\${upper} x\${times}"
out line
`;

let cstDir: string;
let outside: string;
let s: TestServer;

before(async () => {
  cstDir = tempDir('constellation-cst-');
  outside = tempDir('constellation-outside-');
  writeFileSync(join(cstDir, 'greet.cst'), GREET);
  writeFileSync(join(cstDir, 'notes.txt'), 'not a script');
  mkdirSync(join(cstDir, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(cstDir, 'sub', 'deeper', 'b.cst'), 'in x: Int\nout x\n');
  writeFileSync(join(cstDir, 'sub', 'A.cst'), 'in x: Int\nout x\n');
  mkdirSync(join(cstDir, 'node_modules'));
  writeFileSync(join(cstDir, 'node_modules', 'hidden.cst'), 'in x: Int\nout x\n');
  mkdirSync(join(cstDir, 'empty'));
  writeFileSync(join(outside, 'secret.cst'), 'in x: Int\nout x\n');
  symlinkSync(join(outside, 'secret.cst'), join(cstDir, 'link.cst'));
  s = await startServer({ env: { CONSTELLATION_CST_DIR: cstDir } });
});

after(async () => {
  await s.close();
  rmSync(cstDir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

function events(path: string): Promise<{ socket: WebSocket; received: any[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${s.base.replace('http', 'ws')}${path}`);
    const received: any[] = [];
    socket.on('message', (data) => received.push(JSON.parse(String(data))));
    socket.once('open', () => resolve({ socket, received }));
    socket.once('error', reject);
  });
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('dashboard files', () => {
  test('the tree lists .cst files, directories first, without skipped or empty directories', async () => {
    const r = await s.get('/api/v1/files');
    assert.equal(r.status, 200);
    const names = (nodes: any[]): unknown[] => nodes.map((n) => (n.children ? [n.name, names(n.children)] : n.name));
    assert.deepEqual(names(r.body.files), [['sub', [['deeper', ['b.cst']], 'A.cst']], 'greet.cst']);
    const greet = r.body.files.find((f: any) => f.name === 'greet.cst');
    assert.equal(greet.path, 'greet.cst');
    assert.equal(greet.size, GREET.length);
    assert.equal(typeof greet.modifiedTime, 'number');
  });

  test('a file comes with its declared inputs (examples as values) and outputs', async () => {
    const r = await s.get('/api/v1/file?path=greet.cst');
    assert.equal(r.status, 200);
    assert.equal(r.body.content, GREET);
    assert.deepEqual(r.body.inputs, [
      { name: 'name', paramType: 'String', required: true, defaultValue: 'Ada' },
      { name: 'times', paramType: 'Int', required: true, defaultValue: 2 },
      { name: 'loud', paramType: 'Optional<Boolean>', required: false, defaultValue: null },
    ]);
    assert.deepEqual(r.body.outputs, [{ name: 'line', paramType: 'String' }]);
    assert.equal((await s.get('/api/v1/files/greet.cst')).body.name, 'greet.cst');
    assert.equal((await s.get('/api/v1/file?path=sub/deeper/b.cst')).body.path, 'sub/deeper/b.cst');
  });

  test('no path leaves the script directory; errors come in order with the dashboard envelope', async () => {
    for (const path of ['../x.cst', '/etc/passwd', `${outside}/secret.cst`, 'sub/../../x.cst', 'link.cst', 'a\u0000.cst']) {
      const r = await s.get(`/api/v1/file?path=${encodeURIComponent(path)}`);
      assert.equal(r.status, 400, path);
      assert.deepEqual(r.body, { error: 'invalid_request', message: 'Invalid file path', path, details: null });
    }
    assert.equal((await s.get('/api/v1/file?path=missing.cst')).status, 404);
    assert.equal((await s.get(`/api/v1/file?path=${encodeURIComponent('..%2Fx.cst')}`)).status, 404); // a name, not a way up
    assert.equal((await s.get('/api/v1/file?path=notes.txt')).body.message, 'Only .cst files are supported');
    assert.equal((await s.get('/api/v1/file')).body.message, 'Missing path parameter');
  });
});

describe('preview and execute', () => {
  test('preview: the graph with inputs, or the compiler messages', async () => {
    const ok = await s.post('/api/v1/preview', { source: GREET });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.success, true);
    const kinds = ok.body.dagVizIR.nodes.map((n: any) => n.kind);
    assert.deepEqual(kinds.filter((k: string) => k === 'Input').length, 3);
    assert.ok(kinds.includes('Output') && kinds.includes('Operation') && kinds.includes('StringInterp'));
    assert.ok(ok.body.dagVizIR.nodes.every((n: any) => n.position === null && n.executionState === null));
    assert.ok(ok.body.dagVizIR.edges.some((e: any) => e.label === 'text' || e.label !== null));
    const bad = await s.post('/api/v1/preview', { source: 'in x: Int\ny = z + 1\nout y' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.success, false);
    assert.equal(bad.body.dagVizIR, null);
    assert.match(bad.body.errors[0], /^E001 .*line 2, column 5/);
    assert.equal(bad.body.diagnostics[0].range.start.offset, 14);
    assert.equal((await s.post('/api/v1/preview', '{not json')).body.error, 'invalid_request');
  });

  test('a run answers with outputs and lands in the history with per-node states', async () => {
    const r = await s.post('/api/v1/execute', { scriptPath: 'greet.cst', inputs: { name: 'ada', times: 3 }, source: 'dashboard' });
    assert.equal(r.status, 200);
    assert.equal(r.body.success, true);
    assert.deepEqual(r.body.outputs, { line: 'ADA x3' });
    assert.equal(r.body.dashboardUrl, `/dashboard#/executions/${r.body.executionId}`);
    const id = r.body.executionId;

    const list = await s.get('/api/v1/executions?script=greet');
    assert.equal(list.body.executions[0].executionId, id);
    assert.equal(list.body.executions[0].status, 'Completed');
    assert.equal(list.body.executions[0].source, 'Dashboard');
    assert.equal(list.body.executions[0].outputPreview, 'line: "ADA x3"');
    assert.equal((await s.get('/api/v1/executions?script=nothing-like-it')).body.executions.length, 0);

    const record = await s.get(`/api/v1/executions/${id}`);
    assert.equal(record.body.status, 'Completed');
    assert.deepEqual(record.body.inputs, { name: 'ada', times: 3 });
    const dag = await s.get(`/api/v1/executions/${id}/dag`);
    const upper = dag.body.nodes.find((n: any) => n.label === 'Uppercase');
    assert.equal(upper.executionState.status, 'Completed');
    assert.equal(upper.executionState.value, 'ADA');
    const out = dag.body.nodes.find((n: any) => n.kind === 'Output');
    assert.deepEqual(out.executionState, { status: 'Completed', value: 'ADA x3', durationMs: null, error: null });

    assert.deepEqual((await s.del(`/api/v1/executions/${id}`)).body, { deleted: true });
    assert.equal((await s.get(`/api/v1/executions/${id}`)).status, 404);
    assert.equal((await s.get(`/api/v1/executions/${id}/dag`)).body.error, 'not_found');
  });

  test('missing inputs, bad types and compile errors are 400s; the failed record says why', async () => {
    const missing = await s.post('/api/v1/execute', { scriptPath: 'greet.cst', inputs: { name: 'x' } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /^Missing required input: 'times'/);
    const record = await s.get(`/api/v1/executions/${missing.body.details.executionId}`);
    assert.equal(record.body.status, 'Failed');
    assert.match(record.body.error, /times/);
    const wrong = await s.post('/api/v1/execute', { scriptPath: 'greet.cst', inputs: { name: 'x', times: 'two' } });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.message, /times/);
    const broken = await s.post('/api/v1/execute', { scriptPath: 'greet.cst', inputs: {}, content: 'in x: Int\nout y' });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error, 'compilation_error');
    assert.equal((await s.post('/api/v1/execute', { scriptPath: '../x.cst', inputs: {}, content: 'in x: Int\nout x' })).body.message, 'Invalid file path');
    assert.equal((await s.post('/api/v1/execute', { scriptPath: 'nope.cst', inputs: {} })).status, 404);
  });

  test('an async run streams its events to a subscriber that came first; node ids match the graph it answered with', async () => {
    const executionId = crypto.randomUUID();
    const { socket, received } = await events(`/api/v1/executions/events?executionId=${executionId}`);
    const content = GREET.replace('Uppercase(name)', 'Lowercase(Uppercase(name))');
    const r = await s.post('/api/v1/execute', { scriptPath: 'greet.cst', inputs: { name: 'Bo', times: 1 }, content, async: true, executionId, source: 'dashboard' });
    assert.equal(r.status, 202);
    assert.equal(r.body.executionId, executionId);
    const done = await until('execution:complete', () => received.find((e) => e.type === 'execution:complete'));
    socket.close();
    assert.equal(done.succeeded, true);
    assert.equal(done.dagName, 'greet.cst');
    assert.equal(received[0].type, 'execution:start');
    const ids = new Set(r.body.dagVizIR.nodes.map((n: any) => n.id));
    const modules = received.filter((e) => e.type === 'module:complete');
    assert.deepEqual(modules.map((e) => e.moduleName).sort(), ['Lowercase', 'Uppercase']);
    for (const e of modules) assert.ok(ids.has(e.moduleId), `event node ${e.moduleId} is in the graph`);
    // the record is written once the run's promise settles, just after the last event
    let stored = await s.get(`/api/v1/executions/${executionId}`);
    for (let i = 0; i < 200 && stored.body.status === 'Running'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      stored = await s.get(`/api/v1/executions/${executionId}`);
    }
    assert.equal(stored.body.status, 'Completed');
    assert.deepEqual(stored.body.outputs, { line: 'bo x1' });
    // the same id cannot be used twice
    const again = await s.post('/api/v1/execute', { scriptPath: 'greet.cst', inputs: { name: 'Bo', times: 1 }, async: true, executionId });
    assert.equal(again.status, 400);
  });

  test('a watcher of all executions sees core API runs too; a socket with nobody watching costs no events', async () => {
    const { socket, received } = await events('/api/v1/executions/events');
    const run = await s.post('/run', { source: 'in x: Int\ny = x + 1\nout y', inputs: { x: 1 } });
    await until('the /run events', () => received.find((e) => e.type === 'execution:complete' && e.executionId === run.body.executionId));
    socket.send('ping'); // ignored
    socket.close();
    await until('unsubscribed', () => (s.server.context.events.subscriberCount === 0 ? true : undefined));
  });

  test('status and modules', async () => {
    const st = await s.get('/api/v1/status');
    assert.equal(st.body.enabled, true);
    assert.equal(st.body.cstDirectory, cstDir);
    assert.equal(st.body.maxExecutions, 1000);
    assert.equal(typeof st.body.storageStats.totalExecutions, 'number');
    assert.equal(st.body.features.lsp, false);
    const mods = await s.get('/api/v1/modules');
    assert.deepEqual(mods.body, (await s.get('/modules')).body);
  });
});

describe('dashboard static files', () => {
  test('the shell: HTML with a strict CSP; assets precompressed by Accept-Encoding, revalidated by ETag', async () => {
    const shell = await fetch(`${s.base}/dashboard`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(shell.status, 200);
    assert.match(shell.headers.get('content-type')!, /^text\/html/);
    assert.match(shell.headers.get('content-security-policy')!, /default-src 'none'; script-src 'self'; style-src 'self'/);
    const html = await shell.text();
    assert.match(html, /<title>Constellation Dashboard<\/title>/);
    const slashed = await fetch(`${s.base}/dashboard/`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(slashed.status, 200);
    assert.equal(await slashed.text(), html);
    const script = /src="(\/dashboard\/static\/js\/[^"]+)"/.exec(html)![1]!;
    const identity = Buffer.from(await (await fetch(s.base + script, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer());

    const raw = (encoding: string) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        // node:http does not decode: the bytes on the wire are checked
        import('node:http').then(({ get }) =>
          get(`${s.base}${script}`, { headers: { 'accept-encoding': encoding } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
          }).on('error', reject),
        );
      });
    const br = await raw('gzip, deflate, br');
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers['vary'], 'accept-encoding');
    assert.match(String(br.headers['cache-control']), /immutable/);
    assert.deepEqual(brotliDecompressSync(br.body), identity);
    const gz = await raw('gzip');
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), identity);
    assert.ok(br.body.length < identity.length / 3);

    const again = await fetch(s.base + script, { headers: { 'accept-encoding': 'br', 'if-none-match': String(br.headers['etag']) } });
    assert.equal(again.status, 304);
    assert.equal((await fetch(`${s.base}/static/js/nothing.js`)).status, 404);
    assert.equal((await fetch(`${s.base}/dashboard/static/css/${script.split('/').pop()}`)).status, 404);
  });

  test('CONSTELLATION_DASHBOARD_ENABLED=false removes the page and the API; the events socket stays', async () => {
    const off = await startServer({ env: { CONSTELLATION_DASHBOARD_ENABLED: 'false', CONSTELLATION_CST_DIR: cstDir } });
    try {
      assert.equal((await off.get('/dashboard')).status, 404);
      assert.equal((await off.get('/api/v1/files')).status, 404);
      const socket = new WebSocket(`${off.base.replace('http', 'ws')}/api/v1/executions/events`);
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.close();
    } finally {
      await off.close();
    }
  });
});
