import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compile, startServer, type TestServer } from '../helpers/server.js';

/**
 * Canary releases over HTTP (docs/decisions.md #20): start by reload, manual
 * promotion through every step, automatic promotion and automatic rollback driven by /execute,
 * manual abort, conflicts that store nothing.
 */

const v = (k: number) => `in a: Int\nb = a * ${k}\nout b`;
const FAILS = 'in a: Int\nr = AlwaysFailsService("x")\nb = a\nout b\nout r';

let s: TestServer;
before(async () => {
  s = await startServer();
});
after(async () => {
  await s.close();
});

async function versionsOf(name: string) {
  return (await s.get(`/pipelines/${name}/versions`)).body as { activeVersion: number; versions: { version: number; structuralHash: string; active: boolean }[] };
}

describe('canary started by reload', () => {
  test('manual promotion uses every step weight, reports promoting, completes and moves the alias', async () => {
    const oldHash = await compile(s, v(2), 'manual');
    const r = await s.post('/pipelines/manual/reload', { source: v(3), canary: { autoPromote: false } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.changed, true);
    assert.equal(r.body.version, 2);
    const newHash = r.body.newHash;
    const c = r.body.canary;
    assert.equal(c.pipelineName, 'manual');
    assert.deepEqual(c.oldVersion, { version: 1, structuralHash: oldHash });
    assert.deepEqual(c.newVersion, { version: 2, structuralHash: newHash });
    assert.equal(c.status, 'observing');
    assert.equal(c.currentStep, 0);
    assert.equal(c.currentWeight, 0.05);
    assert.match(c.startedAt, /Z$/);
    assert.deepEqual(c.metrics.newVersion, { requests: 0, successes: 0, failures: 0, avgLatencyMs: 0, p99LatencyMs: 0 });

    // while the canary runs: the alias stays on the old version, which stays active
    assert.equal((await s.get('/pipelines/manual')).body.structuralHash, oldHash);
    let versions = await versionsOf('manual');
    assert.equal(versions.activeVersion, 1);
    assert.equal(versions.versions.length, 2);

    const state = await s.get('/pipelines/manual/canary');
    assert.equal(state.status, 200);
    assert.equal(state.body.status, 'observing');

    const seen: [number, number, string][] = [];
    for (let i = 0; i < 4; i++) {
      const p = await s.post('/pipelines/manual/canary/promote');
      assert.equal(p.status, 200);
      seen.push([p.body.currentStep, p.body.currentWeight, p.body.status]);
    }
    assert.deepEqual(seen, [
      [1, 0.1, 'promoting'],
      [2, 0.25, 'promoting'],
      [3, 0.5, 'promoting'],
      [4, 1, 'complete'],
    ]);
    assert.equal((await s.get('/pipelines/manual')).body.structuralHash, newHash, 'completion moves the alias');
    versions = await versionsOf('manual');
    assert.equal(versions.activeVersion, 2, 'and activates the new version');
    const r2 = await s.post('/execute', { ref: 'manual', inputs: { a: 5 } });
    assert.equal(r2.body.outputs.b, 15);

    // a finished canary stays readable; promote/rollback leave it unchanged
    const finished = await s.get('/pipelines/manual/canary');
    assert.equal(finished.status, 200);
    assert.equal(finished.body.status, 'complete');
    const again = await s.post('/pipelines/manual/canary/promote');
    assert.equal(again.body.status, 'complete');
    assert.equal(again.body.currentStep, 4);
    const late = await s.post('/pipelines/manual/canary/rollback');
    assert.equal(late.status, 200);
    assert.equal(late.body.status, 'complete');
    assert.equal((await s.get('/pipelines/manual')).body.structuralHash, newHash);
  });

  test('auto-promotion: observation window 0s, minRequests 2 → complete after the second execution', async () => {
    const oldHash = await compile(s, v(4), 'auto');
    const r = await s.post('/pipelines/auto/reload', {
      source: v(5),
      canary: { initialWeight: 1, promotionSteps: [1], observationWindow: '0s', minRequests: 2 },
    });
    assert.equal(r.status, 200, r.text);
    const newHash = r.body.newHash;
    const first = await s.post('/execute', { ref: 'auto', inputs: { a: 2 } });
    assert.equal(first.body.outputs.b, 10, 'weight 1 routes everything to the new version');
    let state = (await s.get('/pipelines/auto/canary')).body;
    assert.equal(state.status, 'observing');
    assert.equal(state.metrics.newVersion.requests, 1);
    assert.equal(state.metrics.newVersion.successes, 1);
    assert.equal((await s.get('/pipelines/auto')).body.structuralHash, oldHash);
    await s.post('/execute', { ref: 'auto', inputs: { a: 2 } });
    state = (await s.get('/pipelines/auto/canary')).body;
    assert.equal(state.status, 'complete');
    assert.equal(state.currentWeight, 1);
    assert.equal((await s.get('/pipelines/auto')).body.structuralHash, newHash);
    assert.equal((await versionsOf('auto')).activeVersion, 2);
  });

  test('auto-promotion through an intermediate step, then completion', async () => {
    await compile(s, v(6), 'auto2');
    const r = await s.post('/pipelines/auto2/reload', {
      source: v(7),
      canary: { initialWeight: 1, promotionSteps: [0.999999999, 1], observationWindow: '0ms', minRequests: 1 },
    });
    assert.equal(r.status, 200);
    await s.post('/execute', { ref: 'auto2', inputs: { a: 1 } });
    const mid = (await s.get('/pipelines/auto2/canary')).body;
    assert.equal(mid.status, 'promoting');
    assert.equal(mid.currentStep, 1);
    assert.equal(mid.metrics.newVersion.requests, 0, 'new-version metrics reset per step');
    for (let i = 0; i < 20 && (await s.get('/pipelines/auto2/canary')).body.status !== 'complete'; i++) {
      await s.post('/execute', { ref: 'auto2', inputs: { a: 1 } });
    }
    assert.equal((await s.get('/pipelines/auto2/canary')).body.status, 'complete');
    assert.equal((await s.post('/execute', { ref: 'auto2', inputs: { a: 1 } })).body.outputs.b, 7);
  });

  test('automatic rollback when the new version fails; the alias never moves', async () => {
    const oldHash = await compile(s, v(8), 'failing');
    const r = await s.post('/pipelines/failing/reload', {
      source: FAILS,
      canary: { initialWeight: 1, observationWindow: '0s', minRequests: 1, errorThreshold: 0.5 },
    });
    assert.equal(r.status, 200, r.text);
    const exec = await s.post('/execute', { ref: 'failing', inputs: { a: 1 } });
    assert.equal(exec.body.status, 'failed');
    const state = (await s.get('/pipelines/failing/canary')).body;
    assert.equal(state.status, 'rolled_back');
    assert.equal(state.metrics.newVersion.failures, 1);
    assert.equal((await s.get('/pipelines/failing')).body.structuralHash, oldHash);
    assert.equal((await versionsOf('failing')).activeVersion, 1);
    const after = await s.post('/execute', { ref: 'failing', inputs: { a: 3 } });
    assert.equal(after.body.outputs.b, 24, 'traffic is back on the old version');
  });

  test('manual abort by POST …/canary/rollback and by DELETE …/canary; a new canary may then start', async () => {
    const oldHash = await compile(s, v(9), 'abort');
    const started = await s.post('/pipelines/abort/reload', { source: v(10), canary: {} });
    assert.equal(started.status, 200);
    const rb = await s.post('/pipelines/abort/canary/rollback');
    assert.equal(rb.status, 200);
    assert.equal(rb.body.status, 'rolled_back');
    assert.equal((await s.get('/pipelines/abort')).body.structuralHash, oldHash);
    assert.equal((await s.get('/pipelines/abort/canary')).body.status, 'rolled_back', 'stays readable');
    assert.equal((await versionsOf('abort')).activeVersion, 1);

    const second = await s.post('/pipelines/abort/reload', { source: v(11), canary: { autoPromote: false } });
    assert.equal(second.status, 200, 'a finished canary does not block a new one');
    assert.equal(second.body.version, 3);
    assert.equal(second.body.canary.oldVersion.version, 1);
    const del = await s.del('/pipelines/abort/canary');
    assert.equal(del.status, 200);
    assert.equal(del.body.status, 'rolled_back');
    assert.equal(del.body.newVersion.version, 3);
    assert.equal((await s.get('/pipelines/abort')).body.structuralHash, oldHash);
  });

  test('rollback of the pipeline during a canary aborts the canary', async () => {
    await compile(s, v(12), 'rbc');
    const h2 = await compile(s, v(13), 'rbc');
    await s.post('/pipelines/rbc/reload', { source: v(14), canary: { autoPromote: false } });
    const r = await s.post('/pipelines/rbc/rollback');
    assert.equal(r.status, 200);
    assert.equal(r.body.previousVersion, 2);
    assert.equal(r.body.activeVersion, 1);
    assert.equal((await s.get('/pipelines/rbc/canary')).body.status, 'rolled_back');
    assert.notEqual((await s.get('/pipelines/rbc')).body.structuralHash, h2);
  });
});

describe('canary conflicts store nothing', () => {
  test('no previous version → 409 CanaryConflict; no image, no version, no alias', async () => {
    const before = (await s.get('/pipelines')).body.pipelines.length;
    const r = await s.post('/pipelines/brand-new/reload', { source: v(20), canary: {} });
    assert.equal(r.status, 409);
    assert.deepEqual(r.body, { error: 'CanaryConflict', message: 'No previous version exists for canary deployment', requestId: null });
    assert.equal((await s.get('/pipelines')).body.pipelines.length, before);
    assert.equal((await s.get('/pipelines/brand-new/versions')).status, 404);
    assert.equal((await s.get('/pipelines/brand-new')).status, 404);
  });

  test('a canary already running → 409; a plain reload during a canary → 409; nothing stored', async () => {
    await compile(s, v(21), 'busy');
    const first = await s.post('/pipelines/busy/reload', { source: v(22), canary: { autoPromote: false } });
    assert.equal(first.status, 200);
    const before = (await s.get('/pipelines')).body.pipelines.length;
    const second = await s.post('/pipelines/busy/reload', { source: v(23), canary: {} });
    assert.equal(second.status, 409);
    assert.deepEqual(second.body, { error: 'CanaryConflict', message: "Canary deployment already active for pipeline 'busy'", requestId: null });
    const plain = await s.post('/pipelines/busy/reload', { source: v(23) });
    assert.equal(plain.status, 409);
    assert.equal(plain.body.error, 'CanaryConflict');
    assert.equal((await s.get('/pipelines')).body.pipelines.length, before, 'no image stored');
    assert.equal((await versionsOf('busy')).versions.length, 2, 'no version recorded');
    assert.equal((await s.get('/pipelines/busy/canary')).body.newVersion.version, 2, 'the running canary is untouched');
  });

  test('alias PUT and DELETE of an image in a running canary → 409 CanaryConflict', async () => {
    const oldHash = await compile(s, v(24), 'guarded');
    const r = await s.post('/pipelines/guarded/reload', { source: v(25), canary: { autoPromote: false } });
    const put = await s.put('/pipelines/guarded/alias', { structuralHash: r.body.newHash });
    assert.equal(put.status, 409);
    assert.equal(put.body.error, 'CanaryConflict');
    const delNew = await s.del(`/pipelines/sha256:${r.body.newHash}`);
    assert.equal(delNew.status, 409);
    assert.equal(delNew.body.error, 'CanaryConflict');
    const delOld = await s.del('/pipelines/guarded');
    assert.equal(delOld.status, 409);
    assert.equal((await s.get('/pipelines/guarded')).body.structuralHash, oldHash);
  });

  test('unchanged reload with a canary config starts no canary', async () => {
    await compile(s, v(26), 'same');
    const r = await s.post('/pipelines/same/reload', { source: v(26), canary: {} });
    assert.equal(r.status, 200);
    assert.equal(r.body.changed, false);
    assert.equal(r.body.canary, null);
    assert.equal((await s.get('/pipelines/same/canary')).status, 404);
  });
});

describe('canary endpoints without a canary', () => {
  test('404 NotFound on every canary route', async () => {
    const message = "No canary deployment active for pipeline 'none'";
    for (const [method, path] of [
      ['GET', '/pipelines/none/canary'],
      ['POST', '/pipelines/none/canary/promote'],
      ['POST', '/pipelines/none/canary/rollback'],
      ['DELETE', '/pipelines/none/canary'],
    ] as const) {
      const r = await s.request(method, path);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.deepEqual(r.body, { error: 'NotFound', message, requestId: null });
    }
  });
});
