import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { FAULTS_JS } from '../helpers/http.js';
import { compile, startServer, type TestServer } from '../helpers/server.js';

/**
 * `DELETE /cache` and `DELETE /cache/modules/{name}`, and the live execution events WebSocket
 * (`/api/v1/executions/events`), on one instance.
 */

let s: TestServer;
before(async () => {
  s = await startServer({ env: { CONSTELLATION_MODULES: FAULTS_JS } });
});
after(async () => {
  await s.close();
});

/** Whether the call bound to `x` was served from the cache, in a run of the stored pipeline `ref`. */
async function cacheHit(ref: string, inputs: Record<string, unknown>): Promise<boolean> {
  const { pipelines, engine } = s.server.context;
  const resolved = pipelines.resolve(ref);
  assert.ok(resolved.ok);
  const result = await engine.run(pipelines.image(resolved.hash)!.dag, inputs, { includeNodes: true });
  return result.nodes!.find((n) => n.name === 'x')!.cacheHit === true;
}

describe('DELETE /cache', () => {
  test('clears every module result (the next call computes again); a module scope clears only that module', async () => {
    await compile(s, 'in t: String\nx = Echo(t) with cache: 10min\nout x\n', 'echo-cached');
    await compile(s, 'in ms: Int\nx = Sleep(ms) with cache: 10min\nout x\n', 'sleep-cached');
    assert.equal(await cacheHit('echo-cached', { t: 'a' }), false);
    assert.equal(await cacheHit('echo-cached', { t: 'a' }), true);
    assert.equal(await cacheHit('sleep-cached', { ms: 1 }), false);
    const one = await s.del('/cache/modules/Echo');
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, { cleared: 1, scope: 'Echo' });
    assert.equal(await cacheHit('echo-cached', { t: 'a' }), false, 'Echo was cleared');
    assert.equal(await cacheHit('sleep-cached', { ms: 1 }), true, 'Sleep was not');
    const all = await s.del('/cache');
    assert.deepEqual(all.body, { cleared: 2, scope: 'all' });
    assert.equal(await cacheHit('sleep-cached', { ms: 1 }), false);
    assert.deepEqual((await s.del('/cache')).body, { cleared: 1, scope: 'all' });
  });
});

describe('GET /api/v1/executions/events (WebSocket)', () => {
  test('a plain GET is 426; a subscriber of one execution gets its events in order, ending with execution:complete', async () => {
    const plain = await s.get('/api/v1/executions/events');
    assert.equal(plain.status, 426);
    await compile(s, 'in ms: Int\nx = Sleep(ms)\ny = Sleep(ms)\nout x\nout y\n', 'two-sleeps');
    // the id is known only once the run starts: watch everything, then keep the one we started
    const all = new WebSocket(`ws://127.0.0.1:${s.port}/api/v1/executions/events`);
    const seen: any[] = [];
    all.on('message', (m) => seen.push(JSON.parse(m.toString())));
    await new Promise((r) => all.once('open', r));
    const r = await s.post('/execute', { ref: 'two-sleeps', inputs: { ms: 1000 }, async: true });
    const id = r.body.executionId as string;
    const one = new WebSocket(`ws://127.0.0.1:${s.port}/api/v1/executions/events?executionId=${id}`);
    const mine: any[] = [];
    one.on('message', (m) => mine.push(JSON.parse(m.toString())));
    await new Promise((r) => one.once('open', r));
    const other = await s.post('/run', { source: 'in t: String\nx = Echo(t)\nout x\n', inputs: { t: 'noise' } });
    assert.equal(other.status, 200);
    for (let i = 0; i < 200 && !mine.some((e) => e.type === 'execution:complete'); i++) await new Promise((res) => setTimeout(res, 20));
    all.close();
    one.close();
    const ofRun = seen.filter((e) => e.executionId === id).map((e) => e.type);
    assert.equal(ofRun[0], 'execution:start');
    assert.equal(ofRun.at(-1), 'execution:complete');
    assert.equal(ofRun.filter((t) => t === 'module:start').length, 2);
    assert.equal(ofRun.filter((t) => t === 'module:complete').length, 2);
    assert.ok(ofRun.indexOf('module:complete') > ofRun.indexOf('module:start'));
    assert.ok(seen.some((e) => e.executionId === other.body.executionId), 'watching all: every execution');
    assert.ok(mine.every((e) => e.executionId === id), 'watching one: only that one');
    assert.deepEqual(mine.map((e) => e.type), ['module:complete', 'module:complete', 'execution:complete']);
    const complete = mine.at(-1);
    assert.equal(complete.succeeded, true);
    assert.equal(typeof complete.timestamp, 'number');
  });

  test('a cancelled execution ends with execution:cancelled', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/api/v1/executions/events`);
    const seen: any[] = [];
    ws.on('message', (m) => seen.push(JSON.parse(m.toString())));
    await new Promise((r) => ws.once('open', r));
    const r = await s.post('/execute', { ref: 'two-sleeps', inputs: { ms: 5000 }, async: true });
    await s.post(`/executions/${r.body.executionId}/cancel`);
    for (let i = 0; i < 200 && !seen.some((e) => e.type === 'execution:cancelled'); i++) await new Promise((res) => setTimeout(res, 20));
    ws.close();
    const types = seen.filter((e) => e.executionId === r.body.executionId).map((e) => e.type);
    assert.equal(types[0], 'execution:start');
    assert.equal(types.at(-1), 'execution:cancelled');
  });
});
