import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compile, startServer, type TestServer } from '../helpers/server.js';

/**
 * Hot reload, version history and rollback (docs/decisions.md #17, #20), including
 * reload without a body re-reading the file the start-up loader found.
 */

const v = (k: number) => `in a: Int\nb = a * ${k}\nout b`;

let s: TestServer;
let pipelineDir: string;
before(async () => {
  pipelineDir = await mkdtemp(join(tmpdir(), 'constellation-cst-'));
  await writeFile(join(pipelineDir, 'filed.cst'), v(2));
  await writeFile(join(pipelineDir, 'gone.cst'), v(3));
  s = await startServer({ env: { CONSTELLATION_PIPELINE_DIR: pipelineDir } });
});
after(async () => {
  await s.close();
  await rm(pipelineDir, { recursive: true, force: true });
});

async function run(ref: string, a: number): Promise<unknown> {
  const r = await s.post('/execute', { ref, inputs: { a } });
  assert.equal(r.status, 200, r.text);
  return r.body.outputs.b;
}

describe('POST /pipelines/{name}/reload', () => {
  test('with a source: new version, alias moved; same source again: unchanged', async () => {
    const first = await compile(s, v(10), 'calc');
    const r = await s.post('/pipelines/calc/reload', { source: v(20) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.success, true);
    assert.equal(r.body.previousHash, first);
    assert.match(r.body.newHash, /^[0-9a-f]{64}$/);
    assert.notEqual(r.body.newHash, first);
    assert.equal(r.body.name, 'calc');
    assert.equal(r.body.changed, true);
    assert.equal(r.body.version, 2);
    assert.equal(r.body.canary, null);
    assert.equal(await run('calc', 2), 40);
    const again = await s.post('/pipelines/calc/reload', { source: v(20) });
    assert.equal(again.status, 200);
    assert.equal(again.body.changed, false);
    assert.equal(again.body.version, 2);
    assert.equal(again.body.previousHash, r.body.newHash);
    assert.equal(again.body.newHash, r.body.newHash);
    assert.equal((await s.get('/pipelines/calc/versions')).body.versions.length, 2, 'an unchanged reload adds no version');
  });

  test('a new name with a source: version 1, alias created', async () => {
    const r = await s.post('/pipelines/fresh/reload', { source: v(4) });
    assert.equal(r.status, 200);
    assert.equal(r.body.previousHash, null);
    assert.equal(r.body.changed, true);
    assert.equal(r.body.version, 1);
    assert.equal(await run('fresh', 3), 12);
  });

  test('without a body: re-reads the file the loader found', async () => {
    assert.equal(await run('filed', 5), 10, 'loaded at start-up');
    const versions = await s.get('/pipelines/filed/versions');
    assert.equal(versions.status, 200);
    assert.equal(versions.body.activeVersion, 1, 'the loader records version 1');
    await writeFile(join(pipelineDir, 'filed.cst'), v(100));
    const r = await s.post('/pipelines/filed/reload');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.changed, true);
    assert.equal(r.body.version, 2);
    assert.equal(await run('filed', 5), 500);
    const empty = await s.request('POST', '/pipelines/filed/reload', '', { 'content-type': 'application/json' });
    assert.equal(empty.status, 200, 'an empty body is no body');
    assert.equal(empty.body.changed, false);
  });

  test('unchanged reload of an alias set by PUT (no versions yet) records version 1', async () => {
    const hash = await compile(s, v(5));
    assert.equal((await s.put('/pipelines/put-only/alias', { structuralHash: hash })).status, 200);
    const r = await s.post('/pipelines/put-only/reload', { source: v(5) });
    assert.equal(r.status, 200);
    assert.equal(r.body.changed, false);
    assert.equal(r.body.version, 1);
    const versions = await s.get('/pipelines/put-only/versions');
    assert.equal(versions.body.activeVersion, 1);
    assert.equal(versions.body.versions[0].structuralHash, hash);
  });

  test('an invalid name → 400 InvalidRequest', async () => {
    const r = await s.post(`/pipelines/${'n'.repeat(257)}/reload`, { source: v(6) });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'InvalidRequest');
  });

  test('no source and no known file → 400 NoSource; unreadable file → 400 NoSource', async () => {
    const r = await s.post('/pipelines/unknown-file/reload', {});
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { error: 'NoSource', message: 'No source provided and no file path known for this pipeline', requestId: null });
    await unlink(join(pipelineDir, 'gone.cst'));
    const gone = await s.post('/pipelines/gone/reload');
    assert.equal(gone.status, 400);
    assert.equal(gone.body.error, 'NoSource');
    assert.match(gone.body.message, /^Failed to read file .*gone\.cst: /);
  });

  test('compile errors → 400 CompilationError, nothing stored', async () => {
    const before = (await s.get('/pipelines')).body.pipelines.length;
    const r = await s.post('/pipelines/calc/reload', { source: 'in a: Int\nout nope' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'CompilationError');
    assert.match(r.body.message, /Undefined variable: nope/);
    assert.equal((await s.get('/pipelines')).body.pipelines.length, before);
    assert.equal((await s.get('/pipelines/calc/versions')).body.versions.length, 2);
  });

  test('malformed body or invalid canary config → 400 InvalidRequest', async () => {
    const r = await s.request('POST', '/pipelines/calc/reload', '{"source": ', { 'content-type': 'application/json' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'InvalidRequest');
    const wrongType = await s.post('/pipelines/calc/reload', { source: 42 });
    assert.equal(wrongType.status, 400);
    const badCanary = await s.post('/pipelines/calc/reload', { source: v(21), canary: { initialWeight: 3 } });
    assert.equal(badCanary.status, 400);
    assert.equal(badCanary.body.error, 'InvalidRequest');
  });
});

describe('GET /pipelines/{name}/versions', () => {
  test('newest first, the active one flagged; unchanged named compile adds no version (docs/decisions.md #17)', async () => {
    const h1 = await compile(s, v(7), 'hist');
    await compile(s, v(7), 'hist');
    const h2 = await compile(s, v(8), 'hist');
    const r = await s.get('/pipelines/hist/versions');
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'hist');
    assert.equal(r.body.activeVersion, 2);
    assert.deepEqual(
      r.body.versions.map((x: { version: number; structuralHash: string; active: boolean }) => [x.version, x.structuralHash, x.active]),
      [
        [2, h2, true],
        [1, h1, false],
      ],
    );
    for (const x of r.body.versions) assert.match(x.createdAt, /Z$/);
  });

  test('unknown name → 404', async () => {
    const r = await s.get('/pipelines/never/versions');
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { error: 'NotFound', message: "Pipeline 'never' not found", requestId: null });
  });
});

describe('POST /pipelines/{name}/rollback[/{version}]', () => {
  test('rollback to the previous version, then forward to a given one', async () => {
    const h1 = await compile(s, v(31), 'rb');
    const h2 = await compile(s, v(32), 'rb');
    const h3 = await compile(s, v(33), 'rb');
    const r = await s.post('/pipelines/rb/rollback');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { success: true, name: 'rb', previousVersion: 3, activeVersion: 2, structuralHash: h2 });
    assert.equal(await run('rb', 1), 32);
    const again = await s.post('/pipelines/rb/rollback');
    assert.deepEqual(again.body, { success: true, name: 'rb', previousVersion: 2, activeVersion: 1, structuralHash: h1 });
    assert.equal(await run('rb', 1), 31);
    const none = await s.post('/pipelines/rb/rollback');
    assert.equal(none.status, 404);
    assert.equal(none.body.message, "No previous version exists for pipeline 'rb'");
    const forward = await s.post('/pipelines/rb/rollback/3');
    assert.equal(forward.status, 200);
    assert.deepEqual(forward.body, { success: true, name: 'rb', previousVersion: 1, activeVersion: 3, structuralHash: h3 });
    assert.equal(await run('rb', 1), 33);
    const versions = await s.get('/pipelines/rb/versions');
    assert.equal(versions.body.versions.length, 3, 'rollback records no version');
    assert.equal(versions.body.activeVersion, 3);
  });

  test('invalid version → 400 InvalidVersion; unknown version or name → 404', async () => {
    await compile(s, v(41), 'rb2');
    for (const bad of ['abc', '1.0', '1e0']) {
      const r = await s.post(`/pipelines/rb2/rollback/${bad}`);
      assert.equal(r.status, 400, bad);
      assert.deepEqual(r.body, { error: 'InvalidVersion', message: `Version must be an integer, got '${bad}'`, requestId: null });
    }
    const missing = await s.post('/pipelines/rb2/rollback/9');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, "Version 9 not found for pipeline 'rb2'");
    const unknown = await s.post('/pipelines/nobody/rollback');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.message, "Pipeline 'nobody' not found");
    assert.equal((await s.post('/pipelines/nobody/rollback/1')).status, 404);
  });

  test('rollback to a version whose image was deleted → 404 "no longer exists"', async () => {
    const h1 = await compile(s, v(51), 'rb3');
    await compile(s, v(52), 'rb3');
    const del = await s.del(`/pipelines/sha256:${h1}`);
    assert.equal(del.status, 200, 'the old image has no alias any more');
    const r = await s.post('/pipelines/rb3/rollback');
    assert.equal(r.status, 404);
    assert.equal(r.body.message, `Pipeline image for version 1 (hash=${h1.slice(0, 12)}...) no longer exists`);
  });

  test('the alias PUT to a recorded version activates it (the active version is the aliased one)', async () => {
    const h1 = await compile(s, v(61), 'rb4');
    await compile(s, v(62), 'rb4');
    const r = await s.put('/pipelines/rb4/alias', { structuralHash: h1 });
    assert.equal(r.status, 200);
    const versions = await s.get('/pipelines/rb4/versions');
    assert.equal(versions.body.activeVersion, 1);
  });
});
