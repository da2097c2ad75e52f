import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';

/** `GET /modules`, `GET /modules/published`, `POST /modules/{name}/invoke`. */

const FIXTURE = fileURLToPath(new URL('../fixtures/modules/published.js', import.meta.url));

let s: TestServer;
before(async () => {
  s = await startServer({ env: { CONSTELLATION_MODULES: FIXTURE } });
});
after(async () => {
  await s.close();
});

describe('GET /modules', () => {
  test('every registered module as ModuleInfo: example pack, stdlib and loaded modules', async () => {
    const r = await s.get('/modules');
    assert.equal(r.status, 200);
    const byName = new Map<string, { name: string; description: string; version: string; inputs: object; outputs: object }>(r.body.modules.map((m: { name: string }) => [m.name, m]));
    assert.deepEqual(byName.get('Uppercase'), {
      name: 'Uppercase',
      description: byName.get('Uppercase')!.description,
      version: '1.0',
      inputs: { text: 'CString' },
      outputs: { result: 'CString' },
    });
    assert.ok(byName.get('Uppercase')!.description.length > 0);
    assert.deepEqual(byName.get('MultiplyEach')!.inputs, { numbers: 'CList(CInt)', multiplier: 'CInt' }, 'parameter order kept');
    const add = byName.get('stdlib.add');
    assert.ok(add, 'stdlib modules are listed');
    assert.deepEqual(add.inputs, { a: 'CInt', b: 'CInt' });
    assert.equal(byName.get('Greet')!.version, '2.3', 'major.minor of 2.3.1');
    assert.deepEqual(byName.get('acme.math.Stats')!.outputs, { count: 'CInt', label: 'CString', sum: 'CInt' }, 'a multi-field output lists every field');
    assert.ok(byName.has('Hidden'), 'unpublished modules are registered modules too');
    const names = r.body.modules.map((m: { name: string }) => m.name);
    assert.deepEqual(names, [...names].sort(), 'sorted by name');
  });
});

describe('GET /modules/published', () => {
  test('only published modules, with tags and endpoint', async () => {
    const r = await s.get('/modules/published');
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.modules.map((m: { name: string }) => m.name),
      ['Explodes', 'Greet', 'acme.math.Stats'],
    );
    const greet = r.body.modules.find((m: { name: string }) => m.name === 'Greet');
    assert.deepEqual(greet, {
      name: 'Greet',
      description: 'Greets someone, several times',
      version: '2.3',
      inputs: { name: 'CString', times: 'CInt' },
      outputs: { greeting: 'CString' },
      tags: ['demo', 'text'],
      endpoint: '/modules/Greet/invoke',
    });
  });
});

describe('POST /modules/{name}/invoke', () => {
  test('runs the module and returns its outputs', async () => {
    const r = await s.post('/modules/Greet/invoke', { name: 'Ada', times: 2, extra: 'ignored' });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { success: true, outputs: { greeting: 'Hello, Ada! Hello, Ada!' }, error: null, module: 'Greet' });
  });

  test('a multi-field output: every field; an Optional parameter may be omitted', async () => {
    const r = await s.post('/modules/acme.math.Stats/invoke', { numbers: [1, 2, 3] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.outputs, { count: 3, sum: 6, label: 'none' });
    const labelled = await s.post('/modules/acme.math.Stats/invoke', { numbers: [], label: 'x' });
    assert.deepEqual(labelled.body.outputs, { count: 0, sum: 0, label: 'x' });
    const short = await s.post('/modules/Stats/invoke', { numbers: [4] });
    assert.equal(short.status, 200, 'the short name works');
    assert.equal(short.body.module, 'acme.math.Stats');
  });

  test('unknown module → 404; unpublished module → 404', async () => {
    const r = await s.post('/modules/NoSuch/invoke', {});
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { error: 'NotFound', message: "Module 'NoSuch' not found", requestId: null });
    const hidden = await s.post('/modules/Hidden/invoke', { text: 'x' });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.message, "Module 'Hidden' is not published as an HTTP endpoint");
    const wrongNs = await s.post('/modules/other.Greet/invoke', { name: 'x', times: 1 });
    assert.equal(wrongNs.status, 404, 'a dotted name must match exactly');
  });

  test('body not an object, missing input, conversion error, malformed JSON → 400', async () => {
    const notObject = await s.post('/modules/Greet/invoke', [1, 2]);
    assert.equal(notObject.status, 400);
    assert.deepEqual(notObject.body, { success: false, outputs: {}, error: 'Request body must be a JSON object', module: 'Greet' });
    for (const body of ['"text"', '42', 'null']) {
      const r = await s.request('POST', '/modules/Greet/invoke', body, { 'content-type': 'application/json' });
      assert.equal(r.status, 400, body);
      assert.equal(r.body.error, 'Request body must be a JSON object');
    }
    const missing = await s.post('/modules/Greet/invoke', { name: 'x' });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, "Missing required input: 'times'");
    const wrong = await s.post('/modules/Greet/invoke', { name: 'x', times: 'three' });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.error, /^Input 'times': expected Int/);
    const fractional = await s.post('/modules/Greet/invoke', { name: 'x', times: 1.5 });
    assert.equal(fractional.status, 400);
    const malformed = await s.request('POST', '/modules/Greet/invoke', '{"name": ', { 'content-type': 'application/json' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.success, false);
    assert.match(malformed.body.error, /malformed JSON/);
    const empty = await s.request('POST', '/modules/Greet/invoke');
    assert.equal(empty.status, 400, 'no body: every parameter is missing');
    assert.equal(empty.body.error, "Missing required input: 'name'");
  });

  test('a failing module → 500 with its error', async () => {
    const r = await s.post('/modules/Explodes/invoke', { text: 'x' });
    assert.equal(r.status, 500);
    assert.equal(r.body.success, false);
    assert.deepEqual(r.body.outputs, {});
    assert.equal(r.body.module, 'Explodes');
    assert.match(r.body.error, /kaboom/);
  });

  test('invocations are not stored as suspended executions', async () => {
    await s.post('/modules/Explodes/invoke', { text: 'x' });
    assert.deepEqual((await s.get('/executions')).body.executions, []);
  });
});
