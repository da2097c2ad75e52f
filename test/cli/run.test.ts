import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BAD_SOURCE, FAIL_SOURCE, OK_SOURCE, parseJson, Scratch, shoutModuleSource } from './support.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** `constellation run`: local in-process runtime by default, `--server` posts to POST /run. */

const TYPES_SOURCE = 'in xs: List<Int>\nin flag: Boolean\nin label: String\nin ratio: Float\nin extra: Optional<String>\nout xs\nout flag\nout label\nout ratio\nout extra\n';

describe('constellation run (local)', () => {
  let s: Scratch;
  before(async () => {
    s = await Scratch.create();
    await s.write('ok.cst', OK_SOURCE);
    await s.write('bad.cst', BAD_SOURCE);
    await s.write('fail.cst', FAIL_SOURCE);
    await s.write('types.cst', TYPES_SOURCE);
    await s.write('shout.cst', 'in t: String\ns = Shout(t)\nout s\n');
    await s.write('shout.mjs', shoutModuleSource());
  });
  after(() => s.remove());

  test('a completed run exits 0 and prints its outputs', async () => {
    const r = await s.run(['run', 'ok.cst', '--input', 'name=world', '-i', 'n=41']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /✓ completed/);
    assert.match(r.stdout, /^greeting: "WORLD"$/m);
    assert.match(r.stdout, /^total: 42$/m);
    const quiet = await s.run(['run', 'ok.cst', '-q', '-i', 'name=world', '-i', 'n=41']);
    assert.equal(quiet.stdout, 'greeting: "WORLD"\ntotal: 42\n', '--quiet: only the outputs');
  });

  test('--json prints the full result as one object', async () => {
    const r = await s.run(['run', 'ok.cst', '-i', 'name=world', '-i', 'n=1', '--json']);
    assert.equal(r.code, 0);
    const j = parseJson(r.stdout);
    assert.equal(j.success, true);
    assert.equal(j.status, 'completed');
    assert.deepEqual(j.outputs, { greeting: 'WORLD', total: 2 });
    assert.match(j.executionId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(j.errors, []);
  });

  test('--input values: JSON, then true/false/null in any case, then numbers, then text', async () => {
    const r = await s.run(['run', 'types.cst', '--json', '-i', 'xs=[1,2,3]', '-i', 'flag=TRUE', '-i', 'label=hello world', '-i', 'ratio=.5', '-i', 'extra=Null']);
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(parseJson(r.stdout).outputs, { xs: [1, 2, 3], flag: true, label: 'hello world', ratio: 0.5, extra: null });
    const eq = await s.run(['run', 'types.cst', '--json', '-i', 'xs=[]', '-i', 'flag=false', '-i', 'label=a=b', '-i', 'ratio=2']);
    assert.equal(parseJson(eq.stdout).outputs.label, 'a=b', 'split at the first =');
  });

  test('--inputs file: a JSON object, overridden by --input', async () => {
    await s.write('in.json', JSON.stringify({ name: 'file', n: 1 }));
    const r = await s.run(['run', 'ok.cst', '--inputs', 'in.json', '-i', 'n=10', '--json']);
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(parseJson(r.stdout).outputs, { greeting: 'FILE', total: 11 });
    const alias = await s.run(['run', 'ok.cst', '-f', 'in.json', '--json']);
    assert.deepEqual(parseJson(alias.stdout).outputs, { greeting: 'FILE', total: 2 });
  });

  test('a suspended run exits 0 and lists the missing inputs', async () => {
    const r = await s.run(['run', 'ok.cst', '-i', 'name=world']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /⏸ suspended/);
    assert.match(r.stdout, /missing input\s+n: Int$/m);
    assert.match(r.stdout, /^greeting: "WORLD"$/m, 'what could run, ran');
    const j = parseJson((await s.run(['run', 'ok.cst', '--json'])).stdout);
    assert.equal(j.success, true);
    assert.equal(j.status, 'suspended');
    assert.deepEqual(j.missingInputs, { n: 'CInt', name: 'CString' });
  });

  test('a failed run exits 2 with the module error on stderr', async () => {
    const r = await s.run(['run', 'fail.cst', '-i', 'r=abc']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /✗ failed: x: Service failed for: abc/);
    const j = await s.run(['run', 'fail.cst', '-i', 'r=abc', '--json']);
    assert.equal(j.code, 2);
    const body = parseJson(j.stdout);
    assert.equal(body.success, false);
    assert.equal(body.status, 'failed');
    assert.equal(body.errors[0].moduleName, 'AlwaysFailsService');
  });

  test('an ill-typed input exits 2 with the input error', async () => {
    const r = await s.run(['run', 'ok.cst', '-i', 'name=x', '-i', 'n=abc']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Input error: Input 'n': expected Int, got string/);
  });

  test('compile errors exit 1 (not 2), with line:column and code', async () => {
    const r = await s.run(['run', 'bad.cst', '-i', 'name=x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.cst:2:12: error E002/);
    const j = await s.run(['run', 'bad.cst', '--json']);
    assert.equal(j.code, 1);
    assert.equal(parseJson(j.stdout).errors[1].code, 'E001');
  });

  test('usage errors exit 10: bad --input syntax, bad inputs file, missing source', async () => {
    const noEq = await s.run(['run', 'ok.cst', '-i', 'name']);
    assert.equal(noEq.code, 10);
    assert.match(noEq.stderr, /invalid --input 'name': expected key=value/);
    const emptyKey = await s.run(['run', 'ok.cst', '-i', '=5']);
    assert.equal(emptyKey.code, 10);
    assert.match(emptyKey.stderr, /the key is empty/);
    assert.equal((await s.run(['run', 'ok.cst', '-i'])).code, 10, 'option without a value');
    assert.equal((await s.run(['run', 'ok.cst', '--inputs', 'none.json'])).code, 10);
    await s.write('array.json', '[1, 2]');
    const arr = await s.run(['run', 'ok.cst', '--inputs', 'array.json']);
    assert.equal(arr.code, 10);
    assert.match(arr.stderr, /must contain a JSON object/);
    await s.write('broken.json', '{"name": ');
    assert.equal((await s.run(['run', 'ok.cst', '--inputs', 'broken.json'])).code, 10);
    await s.write('huge.json', `{"name": "${'x'.repeat(10 * 1024 * 1024)}"}`);
    const huge = await s.run(['run', 'ok.cst', '--inputs', 'huge.json']);
    assert.equal(huge.code, 10);
    assert.match(huge.stderr, /too large/);
    assert.equal((await s.run(['run', 'missing.cst'])).code, 10);
    assert.equal((await s.run(['run', 'ok.cst', '--inputs', 'in.json', '--input-file', 'in.json'])).code, 10);
  });

  test('a module file from --modules runs on the worker pool', async () => {
    const r = await s.run(['run', 'shout.cst', '--modules', 'shout.mjs', '-i', 't=hi', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(parseJson(r.stdout).outputs, { s: 'HI!' });
  });
});

describe('constellation run --server', () => {
  let s: Scratch;
  let srv: TestServer;
  before(async () => {
    s = await Scratch.create();
    await s.write('ok.cst', OK_SOURCE);
    await s.write('bad.cst', BAD_SOURCE);
    await s.write('fail.cst', FAIL_SOURCE);
    srv = await startServer();
  });
  after(async () => {
    await srv.close();
    await s.remove();
  });

  test('completed → 0 with outputs', async () => {
    const r = await s.run(['run', 'ok.cst', '--server', srv.url, '-i', 'name=srv', '-i', 'n=2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^greeting: "SRV"$/m);
    assert.match(r.stdout, /^total: 3$/m);
  });

  test('suspended → 0 with the missing inputs and the execution id to resume', async () => {
    const r = await s.run(['run', 'ok.cst', '--server', srv.url, '-i', 'name=srv', '--json']);
    assert.equal(r.code, 0, r.stdout);
    const j = parseJson(r.stdout);
    assert.equal(j.status, 'suspended');
    assert.deepEqual(j.missingInputs, { n: 'CInt' });
    const human = await s.run(['run', 'ok.cst', '--server', srv.url, '-i', 'name=srv']);
    assert.match(human.stdout, /missing input\s+n: Int$/m);
    assert.match(human.stdout, /resume with POST \/executions\/[0-9a-f-]{36}\/resume/);
  });

  test('failed → 2; compile errors → 1; input errors → 2', async () => {
    const failed = await s.run(['run', 'fail.cst', '--server', srv.url, '-i', 'r=abc']);
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /Service failed for: abc/);
    const bad = await s.run(['run', 'bad.cst', '--server', srv.url]);
    assert.equal(bad.code, 1, 'the reference client exits 2 here; we do not');
    assert.match(bad.stderr, /bad\.cst:2:21: error E001/);
    const input = await s.run(['run', 'ok.cst', '--server', srv.url, '-i', 'name=1']);
    assert.equal(input.code, 2);
    assert.match(input.stderr, /Input error/);
  });
});
