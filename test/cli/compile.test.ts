import assert from 'node:assert/strict';
import { mkdir, symlink } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { BAD_SOURCE, closedPort, OK_SOURCE, parseJson, Scratch, shoutModuleSource } from './support.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** `constellation compile`: local by default, `--server` posts to POST /compile. */

describe('constellation compile (local)', () => {
  let s: Scratch;
  before(async () => {
    s = await Scratch.create();
    await s.write('ok.cst', OK_SOURCE);
    await s.write('bad.cst', BAD_SOURCE);
    await s.write('warn.cst', 'in name: String\nx = Uppercase(name) with delay: 100ms\nout x\n');
    await s.write('shout.cst', 'in t: String\ns = Shout(t)\nout s\n');
    await s.write('shout.mjs', shoutModuleSource());
  });
  after(() => s.remove());

  test('a valid program exits 0 and reports its hash, inputs and outputs', async () => {
    const r = await s.run(['compile', 'ok.cst']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /✓ ok\.cst compiled/);
    assert.match(r.stdout, /structural hash\s+[0-9a-f]{64}/);
    assert.match(r.stdout, /name: String, n: Int/);
    assert.match(r.stdout, /greeting: String, total: Int/);
    assert.equal(r.stderr, '');
  });

  test('compile errors exit 1 with file:line:column, code, caret excerpt and suggestions', async () => {
    const r = await s.run(['compile', 'bad.cst']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^bad\.cst:2:12: error E002: Undefined function: Upercase$/m);
    assert.match(r.stderr, /^ 2 \| greeting = Upercase\(nme\)$/m);
    assert.match(r.stderr, /^ {3}\| {12}\^{8}$/m, 'carets under Upercase');
    assert.match(r.stderr, /= help: Did you mean 'Uppercase'\?/);
    assert.match(r.stderr, /^bad\.cst:2:21: error E001: Undefined variable: nme$/m);
    assert.match(r.stderr, /✗ bad\.cst: compilation failed with 2 errors/);
    assert.equal(r.stdout, '');
  });

  test('--json: one object, with structured errors on failure', async () => {
    const bad = await s.run(['compile', '--json', 'bad.cst']);
    assert.equal(bad.code, 1);
    const b = parseJson(bad.stdout);
    assert.equal(b.success, false);
    assert.deepEqual(
      b.errors.map((e: any) => [e.code, e.line, e.column, e.endColumn]),
      [['E002', 2, 12, 20], ['E001', 2, 21, 24]],
    );
    assert.deepEqual(b.errors[0].suggestions, ["Did you mean 'Uppercase'?"]);
    assert.equal(bad.stderr, '', 'nothing but the JSON object in --json mode');

    const ok = await s.run(['compile', 'ok.cst', '-j']);
    assert.equal(ok.code, 0);
    const o = parseJson(ok.stdout);
    assert.equal(o.success, true);
    assert.match(o.structuralHash, /^[0-9a-f]{64}$/);
    assert.deepEqual(o.inputs, { name: 'String', n: 'Int' });
    assert.deepEqual(o.outputs, { greeting: 'String', total: 'Int' });
  });

  test('warnings are printed but do not fail the compilation', async () => {
    const r = await s.run(['compile', 'warn.cst']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /warn\.cst:2:26: warning W001: 'delay' without 'retry' has no effect/);
    const j = parseJson((await s.run(['compile', '--json', 'warn.cst'])).stdout);
    assert.equal(j.warnings[0].code, 'W001');
  });

  test('usage errors exit 10: missing file, directory, no argument, extra argument, unknown option', async () => {
    const missing = await s.run(['compile', 'nope.cst']);
    assert.equal(missing.code, 10);
    assert.match(missing.stderr, /cannot read source file 'nope\.cst': no such file/);
    assert.match(missing.stderr, /Usage: constellation compile/);
    await mkdir(s.path('dir.cst'), { recursive: true });
    const dir = await s.run(['compile', 'dir.cst']);
    assert.equal(dir.code, 10);
    assert.match(dir.stderr, /is a directory/);
    assert.equal((await s.run(['compile'])).code, 10);
    assert.equal((await s.run(['compile', 'ok.cst', 'bad.cst'])).code, 10);
    assert.equal((await s.run(['compile', 'ok.cst', '--input', 'a=1'])).code, 10);
    const json = await s.run(['compile', '--json', 'nope.cst']);
    assert.equal(json.code, 10);
    assert.equal(parseJson(json.stdout).success, false);
  });

  test('a symlinked source is read through the link', async () => {
    await symlink(s.path('ok.cst'), s.path('link.cst'));
    const r = await s.run(['compile', 'link.cst']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('--modules and CONSTELLATION_MODULES add module files; an unloadable one is a usage error', async () => {
    const without = await s.run(['compile', 'shout.cst']);
    assert.equal(without.code, 1);
    assert.match(without.stderr, /E002/);
    assert.equal((await s.run(['compile', 'shout.cst', '--modules', 'shout.mjs'])).code, 0);
    assert.equal((await s.run(['compile', 'shout.cst'], { env: { CONSTELLATION_MODULES: s.path('shout.mjs') } })).code, 0);
    const broken = await s.run(['compile', 'shout.cst', '--modules', 'missing.mjs']);
    assert.equal(broken.code, 10);
    assert.match(broken.stderr, /cannot load module file/);
  });
});

describe('constellation compile --server', () => {
  let s: Scratch;
  let srv: TestServer;
  before(async () => {
    s = await Scratch.create();
    await s.write('ok.cst', OK_SOURCE);
    await s.write('bad.cst', BAD_SOURCE);
    srv = await startServer();
  });
  after(async () => {
    await srv.close();
    await s.remove();
  });

  test('posts to /compile under the file stem and stores an alias', async () => {
    const r = await s.run(['compile', 'ok.cst', '--server', srv.url, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const j = parseJson(r.stdout);
    assert.equal(j.name, 'ok');
    assert.match(j.structuralHash, /^[0-9a-f]{64}$/);
    assert.equal(srv.server.context.pipelines.resolveAlias('ok'), j.structuralHash);
    const local = parseJson((await s.run(['compile', 'ok.cst', '--json'])).stdout);
    assert.equal(local.structuralHash, j.structuralHash, 'local and server compilation agree');
  });

  test('server-side compile errors exit 1 with line:column and code', async () => {
    const r = await s.run(['compile', 'bad.cst', '--server', srv.url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.cst:2:12: error E002/);
    assert.match(r.stderr, /\^{8}/);
  });

  test('--remote uses CONSTELLATION_SERVER_URL', async () => {
    const r = await s.run(['compile', 'ok.cst', '--remote'], { env: { CONSTELLATION_SERVER_URL: srv.url } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /compiled on the server as 'ok'/);
  });

  test('an invalid URL is a usage error; a closed port a connection error', async () => {
    const bad = await s.run(['compile', 'ok.cst', '--server', 'ok.cst']);
    assert.equal(bad.code, 10);
    assert.match(bad.stderr, /invalid server URL/);
    const refused = await s.run(['compile', 'ok.cst', '--server', `http://127.0.0.1:${await closedPort()}`]);
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /cannot connect/);
  });
});
