import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sharedEngine, eventually, run, startKitProvider } from './support.js';

/**
 * A provider's life against a real server, with real provider processes (the provider kit):
 * register, appear in /modules and /providers, compile and run like local modules (with the
 * real execution id and every module option), heartbeat, re-register with a changed schema,
 * deregister, be drained, be killed mid-call, hang and come back.
 */

const engine = sharedEngine();

const ECHO = 'in t: String\nr = text.kit.Echo(t)\nout r';

describe('register, list, compile and call', () => {
  test('a registered provider is listed Active, its modules are in /modules and pipelines call them', async () => {
    const p = await startKitProvider({ namespace: 'text.kit', servers: [engine.grpcAddress], tag: 'one' });
    const providers = await eventually('the provider to be Active', async () => {
      const r = await engine.get('/providers');
      return r.json.providers.find((x: any) => x.namespace === 'text.kit' && x.state === 'Active');
    });
    assert.deepEqual(providers.modules, ['Echo', 'Flaky', 'Slow', 'Tally']);
    assert.equal(providers.groupId, '');
    assert.match(providers.executorUrl, /^127\.0\.0\.1:\d+$/);

    const modules = (await engine.get('/modules')).json.modules as any[];
    const echo = modules.find((m) => m.name === 'text.kit.Echo');
    assert.deepEqual(echo.inputs, { text: 'CString' });
    assert.deepEqual(echo.outputs, { attempt: 'CInt', executionId: 'CString', text: 'CString', who: 'CString' });

    const r = await run(engine, ECHO, { t: 'hello' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'completed');
    assert.equal(r.json.outputs.r.text, 'hello');
    assert.equal(r.json.outputs.r.who, 'one');
    // the provider saw the real execution id, and the first attempt
    assert.equal(r.json.outputs.r.executionId, r.json.executionId);
    assert.equal(r.json.outputs.r.attempt, 1);

    // field access on a record output compiles and projects
    const projected = await run(engine, 'in t: String\nr = text.kit.Echo(t)\nw = r.who\nout w', { t: 'x' });
    assert.equal(projected.json.outputs.w, 'one');

    // type errors are caught at compile time like any module's
    const wrong = await run(engine, 'r = text.kit.Echo(42)\nout r');
    assert.equal(wrong.status, 400);
    assert.match(wrong.text, /E010|Type mismatch|expected String/i);
    p.kill();
    await p.exited;
  });

  test('heartbeats keep the connection alive and advance lastHeartbeatAt', async () => {
    const p = await startKitProvider({ namespace: 'beat', servers: [engine.grpcAddress], heartbeatMs: 100 });
    const first = await eventually('a heartbeat', async () => (await engine.get('/providers')).json.providers.find((x: any) => x.namespace === 'beat' && x.lastHeartbeatAt));
    // longer than the heartbeat timeout (1 s): still there, and heartbeats moved on
    await new Promise((r) => setTimeout(r, 1300));
    const later = (await engine.get('/providers')).json.providers.find((x: any) => x.namespace === 'beat');
    assert.equal(later.state, 'Active');
    assert.equal(later.connectionId, first.connectionId);
    assert.ok(Date.parse(later.lastHeartbeatAt) > Date.parse(first.lastHeartbeatAt));
    p.kill();
    await p.exited;
  });
});

describe('module options apply to provider calls', () => {
  let p: Awaited<ReturnType<typeof startKitProvider>>;
  before(async () => {
    p = await startKitProvider({ namespace: 'opts', servers: [engine.grpcAddress] });
  });
  after(async () => {
    p.kill();
    await p.exited;
  });

  test('retry: a failing call is retried, and the provider sees the attempt number', async () => {
    // parameters of a provider module come in field-name order: Flaky(failures, key)
    const r = await run(engine, 'x = opts.Flaky(2, "retry-key") with retry: 3\nout x');
    assert.equal(r.json.status, 'completed', r.text);
    assert.equal(r.json.outputs.x, 3);
    const echo = await run(engine, 'in t: String\nr = opts.Echo(t) with retry: 1\nout r', { t: 'a' });
    assert.equal(echo.json.outputs.r.attempt, 1);
  });

  test('a provider error without retry fails the node with the provider code in the message', async () => {
    const r = await run(engine, 'x = opts.Flaky(5, "fail-key")\nout x');
    assert.equal(r.json.status, 'failed');
    const error = r.json.errors?.[0] ?? r.json.error;
    assert.match(JSON.stringify(r.json), /\[RUNTIME_ERROR\] flaky failure 1 of 5/);
    assert.ok(error);
  });

  test('timeout: the call option sets the deadline; the node times out and the fallback applies', async () => {
    const r = await run(engine, 'x = opts.Slow(3000) with timeout: 200ms\nout x');
    assert.equal(r.json.status, 'failed');
    assert.match(JSON.stringify(r.json), /ModuleTimeout/);
    // a one-field output is the call's value, as for a local module: Slow(ms) is a Boolean
    const fb = await run(engine, 'x = opts.Slow(3000) with timeout: 200ms, fallback: false\nout x');
    assert.equal(fb.json.status, 'completed', fb.text);
    assert.equal(fb.json.outputs.x, false);
  });

  test('cache: a second identical call is served without calling the provider', async () => {
    const src = 'x = opts.Tally("cached") with cache: 1min\nout x';
    const first = await run(engine, src);
    const second = await run(engine, src);
    assert.equal(first.json.outputs.x, 1);
    assert.equal(second.json.outputs.x, 1);
    const uncached = await run(engine, 'x = opts.Tally("cached")\nout x');
    assert.equal(uncached.json.outputs.x, 2);
  });
});

describe('schema changes and leaving', () => {
  test('an in-place re-registration with a changed schema: new compilations use it, old sources stop compiling', async () => {
    const p = await startKitProvider({ namespace: 'evolve', servers: [engine.grpcAddress] });
    const before = (await engine.get('/providers')).json.providers.find((x: any) => x.namespace === 'evolve');
    assert.equal((await run(engine, 'x = evolve.Echo("a")\nout x')).json.status, 'completed');
    p.send('update v2');
    await p.next('updated');
    const after = (await engine.get('/providers')).json.providers.find((x: any) => x.namespace === 'evolve');
    // the same connection, swapped in place
    assert.equal(after.connectionId, before.connectionId);
    const modules = (await engine.get('/modules')).json.modules as any[];
    assert.deepEqual(modules.find((m) => m.name === 'evolve.Echo').inputs, { loud: 'CBoolean', text: 'CString' });
    assert.equal(modules.find((m) => m.name === 'evolve.Echo').version, '2.0');
    const old = await run(engine, 'x = evolve.Echo("a")\nout x');
    assert.equal(old.status, 400);
    const v2 = await run(engine, 'x = evolve.Echo(true, "a")\nout x');
    assert.equal(v2.json.status, 'completed', v2.text);
    assert.equal(v2.json.outputs.x.text, 'A');
    p.kill();
    await p.exited;
  });

  test('a provider that stops deregisters: its modules leave /modules and pipelines naming them no longer compile', async () => {
    const p = await startKitProvider({ namespace: 'leaving', servers: [engine.grpcAddress] });
    assert.equal((await run(engine, 'x = leaving.Echo("a")\nout x')).json.status, 'completed');
    p.kill('SIGTERM');
    assert.equal(await p.exited, 0);
    const modules = (await engine.get('/modules')).json.modules as any[];
    assert.equal(modules.filter((m) => m.name.startsWith('leaving.')).length, 0);
    assert.equal((await engine.get('/providers')).json.providers.filter((x: any) => x.namespace === 'leaving').length, 0);
    const r = await run(engine, 'x = leaving.Echo("a")\nout x');
    assert.equal(r.status, 400);
    assert.match(r.text, /E004 Undefined namespace: leaving/);
    // a new provider may take the namespace at once, with another schema
    const q = await startKitProvider({ namespace: 'leaving', servers: [engine.grpcAddress], version: 'v2' });
    assert.equal((await run(engine, 'x = leaving.Echo(false, "b")\nout x')).json.outputs.x.text, 'b');
    q.kill();
    await q.exited;
  });

  test('drain: the provider is told, acknowledges, finishes its call in flight, leaves and exits', async () => {
    const p = await startKitProvider({ namespace: 'drained', servers: [engine.grpcAddress] });
    const conn = (await engine.get('/providers')).json.providers.find((x: any) => x.namespace === 'drained');
    const inFlight = run(engine, 'x = drained.Slow(400)\nout x');
    await p.next('started');
    const reply = await engine.post(`/providers/${conn.connectionId}/drain`, { reason: 'rolling upgrade', timeout: '5s' });
    assert.equal(reply.status, 202, reply.text);
    assert.equal(reply.json.state, 'Draining');
    // no new calls go to a draining provider
    const refused = await run(engine, 'x = drained.Echo("a")\nout x');
    assert.equal(refused.json.status, 'failed');
    assert.match(JSON.stringify(refused.json), /ProviderUnavailable/);
    // the call in flight completes
    assert.equal((await inFlight).json.status, 'completed');
    await p.next('drained');
    assert.equal(await p.exited, 0);
    await eventually('the drained provider to leave', async () => !(await engine.get('/providers')).json.providers.some((x: any) => x.namespace === 'drained'));
    assert.equal((await engine.post(`/providers/${conn.connectionId}/drain`)).status, 404);
  });
});

describe('providers that disappear', () => {
  test('a provider killed mid-call fails its node at once (not at the deadline) and its modules leave', async () => {
    const p = await startKitProvider({ namespace: 'doomed', servers: [engine.grpcAddress] });
    // a 30 s call deadline: only a prompt failure can end this run before the test times out
    const pending = run(engine, 'x = doomed.Slow(60000) with timeout: 30s\nout x');
    await p.next('started');
    p.kill('SIGKILL');
    const r = await pending;
    assert.equal(r.json.status, 'failed');
    assert.match(JSON.stringify(r.json), /ProviderUnavailable/);
    assert.doesNotMatch(JSON.stringify(r.json), /ModuleTimeout/);
    await eventually('the killed provider to leave', async () => !((await engine.get('/modules')).json.modules as any[]).some((m) => m.name.startsWith('doomed.')));
  });

  test('a provider that stops heartbeating is closed; when it comes back the kit registers again', async () => {
    const p = await startKitProvider({ namespace: 'frozen', servers: [engine.grpcAddress] });
    const first = (await engine.get('/providers')).json.providers.find((x: any) => x.namespace === 'frozen');
    p.kill('SIGSTOP');
    try {
      await eventually('the frozen provider to be closed', async () => !(await engine.get('/providers')).json.providers.some((x: any) => x.namespace === 'frozen'), 5_000);
      const r = await run(engine, 'x = frozen.Echo("a")\nout x');
      assert.equal(r.status, 400);
    } finally {
      p.kill('SIGCONT');
    }
    const back = await eventually('the provider to register again', async () => (await engine.get('/providers')).json.providers.find((x: any) => x.namespace === 'frozen' && x.state === 'Active'));
    assert.notEqual(back.connectionId, first.connectionId);
    assert.equal((await run(engine, 'x = frozen.Echo("again")\nout x')).json.outputs.x.text, 'again');
    p.kill();
    await p.exited;
  });
});
