import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compile, startServer, type TestServer } from '../helpers/server.js';

/** `GET /pipelines`, `GET|DELETE /pipelines/{ref}`, `PUT /pipelines/{name}/alias`. */

const UPPER = 'in text: String\nresult = Uppercase(text)\nout result';
const MIXED = 'in text: String\nin n: Int\nin tags: List<String>\nupper = Uppercase(text)\ntotal = stdlib.math.add(n, 1)\nout upper\nout total\nout tags';

let s: TestServer;
before(async () => {
  s = await startServer();
});
after(async () => {
  await s.close();
});

describe('GET /pipelines', () => {
  test('lists stored images with their aliases, module counts and outputs', async () => {
    const hash = await compile(s, MIXED, 'mixed');
    const r = await s.get('/pipelines');
    assert.equal(r.status, 200);
    const entry = r.body.pipelines.find((p: { structuralHash: string }) => p.structuralHash === hash);
    assert.ok(entry, 'the compiled image is listed');
    assert.deepEqual(entry.aliases, ['mixed']);
    assert.equal(entry.moduleCount, 2, 'Uppercase and stdlib.add');
    assert.deepEqual(entry.declaredOutputs, ['upper', 'total', 'tags']);
    assert.match(entry.syntacticHash, /^[0-9a-f]{64}$/);
    assert.match(entry.compiledAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });
});

describe('GET /pipelines/{ref}', () => {
  test('by alias, sha256:<hash> and bare hash: the same detail', async () => {
    const hash = await compile(s, MIXED, 'mixed');
    const byAlias = await s.get('/pipelines/mixed');
    assert.equal(byAlias.status, 200);
    assert.equal(byAlias.body.structuralHash, hash);
    assert.deepEqual(byAlias.body.inputSchema, { text: 'CString', n: 'CInt', tags: 'CList(CString)' });
    assert.deepEqual(byAlias.body.outputSchema, { upper: 'CString', total: 'CInt', tags: 'CList(CString)' });
    assert.deepEqual(byAlias.body.declaredOutputs, ['upper', 'total', 'tags']);
    assert.deepEqual(byAlias.body.aliases, ['mixed']);
    const upper = byAlias.body.modules.find((m: { name: string }) => m.name === 'Uppercase');
    assert.deepEqual(upper, { name: 'Uppercase', description: upper.description, version: '1.0', inputs: { text: 'CString' }, outputs: { result: 'CString' } });
    assert.ok(byAlias.body.modules.some((m: { name: string }) => m.name.startsWith('stdlib.')), 'stdlib module nodes are listed too');
    const bySha = await s.get(`/pipelines/sha256:${hash}`);
    assert.deepEqual(bySha.body, byAlias.body);
    const byBare = await s.get(`/pipelines/${hash}`);
    assert.deepEqual(byBare.body, byAlias.body);
    const upperCaseHex = await s.get(`/pipelines/sha256:${hash.toUpperCase()}`);
    assert.equal(upperCaseHex.status, 200);
  });

  test('record and optional types render as the reference renders type strings, fields sorted', async () => {
    await compile(s, 'in p: { name: String, age: Int }\nin o: Optional<Int>\nout p\nout o', 'typed');
    const r = await s.get('/pipelines/typed');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.inputSchema, { p: 'CProduct(Map(age -> CInt, name -> CString))', o: 'COptional(CInt)' });
  });

  test('unknown alias and unknown hash → 404 NotFound', async () => {
    const r = await s.get('/pipelines/nope');
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { error: 'NotFound', message: "Pipeline 'nope' not found", requestId: null });
    const h = await s.get(`/pipelines/sha256:${'a'.repeat(64)}`);
    assert.equal(h.status, 404);
    assert.equal(h.body.error, 'NotFound');
    const bare = await s.get(`/pipelines/${'b'.repeat(64)}`);
    assert.equal(bare.status, 404);
  });

  test('refs that cannot resolve → 404 NotFound on GET and DELETE, as for unknown ones', async () => {
    for (const ref of ['sha256:xyz', 'x'.repeat(300), 'z'.repeat(64)]) {
      for (const r of [await s.get(`/pipelines/${ref}`), await s.del(`/pipelines/${ref}`)]) {
        assert.equal(r.status, 404, ref);
        assert.deepEqual(r.body, { error: 'NotFound', message: `Pipeline '${ref}' not found`, requestId: null });
      }
    }
  });
});

describe('PUT /pipelines/{name}/alias', () => {
  test('creates and moves an alias (bare or sha256: hash); no version is recorded', async () => {
    const hash = await compile(s, UPPER);
    const r = await s.put('/pipelines/shouty/alias', { structuralHash: hash });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { name: 'shouty', structuralHash: hash });
    const exec = await s.post('/execute', { ref: 'shouty', inputs: { text: 'hi' } });
    assert.deepEqual(exec.body.outputs, { result: 'HI' });
    const other = await compile(s, MIXED);
    const moved = await s.put('/pipelines/shouty/alias', { structuralHash: `sha256:${other.toUpperCase()}` });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.structuralHash, other);
    assert.equal((await s.get('/pipelines/shouty')).body.structuralHash, other);
    assert.equal((await s.get('/pipelines/shouty/versions')).status, 404, 'alias PUT records no version');
  });

  test('unknown hash → 404', async () => {
    const r = await s.put('/pipelines/x/alias', { structuralHash: 'c'.repeat(64) });
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { error: 'NotFound', message: `Pipeline with hash '${'c'.repeat(64)}' not found`, requestId: null });
    const notHex = await s.put('/pipelines/x/alias', { structuralHash: 'not-a-hash' });
    assert.equal(notHex.status, 404);
  });

  test('malformed JSON, missing field, wrong type → 400 InvalidRequest', async () => {
    for (const body of ['{"structuralHash":', '{}', '{"structuralHash": 42}', '[]']) {
      const r = await s.request('PUT', '/pipelines/x/alias', body, { 'content-type': 'application/json' });
      assert.equal(r.status, 400, body);
      assert.equal(r.body.error, 'InvalidRequest', body);
      assert.equal(r.body.requestId, null);
    }
  });

  test('a name with the sha256: prefix → 400', async () => {
    const hash = await compile(s, UPPER);
    const r = await s.put('/pipelines/sha256:abc/alias', { structuralHash: hash });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'InvalidRequest');
  });

  test('names with a slash are percent-encoded in the path', async () => {
    const hash = await compile(s, UPPER);
    const r = await s.put('/pipelines/team%2Fshout/alias', { structuralHash: hash });
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'team/shout');
    assert.deepEqual((await s.get('/pipelines/team%2Fshout')).body.aliases.includes('team/shout'), true);
  });
});

describe('DELETE /pipelines/{ref}', () => {
  test('by hash of an un-aliased image → 200 deleted; then 404', async () => {
    const hash = await compile(s, 'in a: Int\nb = a * 3\nout b');
    const r = await s.del(`/pipelines/sha256:${hash}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { deleted: true });
    assert.equal((await s.get(`/pipelines/sha256:${hash}`)).status, 404);
    assert.equal((await s.del(`/pipelines/sha256:${hash}`)).status, 404);
    assert.ok(!(await s.get('/pipelines')).body.pipelines.some((p: { structuralHash: string }) => p.structuralHash === hash));
  });

  test('by the only alias of its image → alias and image deleted', async () => {
    const hash = await compile(s, 'in a: Int\nb = a * 5\nout b', 'times5');
    const r = await s.del('/pipelines/times5');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { deleted: true });
    assert.equal((await s.get('/pipelines/times5')).status, 404);
    assert.equal((await s.get(`/pipelines/sha256:${hash}`)).status, 404);
  });

  test('by an alias that shares its image with other aliases → 409 AliasConflict, nothing deleted', async () => {
    const hash = await compile(s, 'in a: Int\nb = a * 7\nout b', 'seven-a');
    await compile(s, 'in a: Int\nb = a * 7\nout b', 'seven-b');
    const r = await s.del('/pipelines/seven-a');
    assert.equal(r.status, 409);
    assert.deepEqual(r.body, { error: 'AliasConflict', message: 'Cannot delete pipeline: aliases [seven-a, seven-b] point to it', requestId: null });
    assert.deepEqual((await s.get(`/pipelines/sha256:${hash}`)).body.aliases, ['seven-a', 'seven-b']);
  });

  test('by hash while aliases point at it → 409 AliasConflict', async () => {
    const hash = await compile(s, 'in a: Int\nb = a * 11\nout b', 'eleven');
    const r = await s.del(`/pipelines/${hash}`);
    assert.equal(r.status, 409);
    assert.equal(r.body.error, 'AliasConflict');
    assert.match(r.body.message, /aliases \[eleven\] point to it/);
    assert.equal((await s.get('/pipelines/eleven')).status, 200);
  });

  test('unknown or malformed → 404', async () => {
    assert.equal((await s.del('/pipelines/never-was')).status, 404);
    assert.equal((await s.del(`/pipelines/sha256:${'d'.repeat(64)}`)).status, 404);
    assert.equal((await s.del('/pipelines/sha256:12')).status, 404);
  });
});

describe('method and path edges', () => {
  test('wrong method on a known path → 405; unknown path → 404', async () => {
    assert.equal((await s.request('PATCH', '/pipelines')).status, 405);
    assert.equal((await s.get('/pipelines/a/b/c/d/e')).status, 404);
  });
});
