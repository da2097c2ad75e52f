import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { sharedEngine, callRegister, eventually, rawClient, run, S, startKitProvider } from './support.js';

/**
 * Provider groups: members registering a namespace with the same group id share its calls
 * (round-robin, so sequential calls alternate exactly), must declare the group's very schemas,
 * and keep the namespace alive while one of them is left. Ownership rules between solo
 * providers and groups.
 */

const engine = sharedEngine();

const ECHO = 'in t: String\nr = scale.Echo(t)\nout r';

async function whoAnswers(n: number): Promise<string[]> {
  const who: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await run(engine, ECHO, { t: String(i) });
    assert.equal(r.json.status, 'completed', r.text);
    who.push(r.json.outputs.r.who);
  }
  return who;
}

describe('a group of two providers', () => {
  test('both members serve the namespace and share the load; one gone, the other serves alone', async () => {
    const a = await startKitProvider({ namespace: 'scale', servers: [engine.grpcAddress], groupId: 'g1', tag: 'a' });
    const b = await startKitProvider({ namespace: 'scale', servers: [engine.grpcAddress], groupId: 'g1', tag: 'b' });
    const members = (await engine.get('/providers')).json.providers.filter((x: any) => x.namespace === 'scale');
    assert.equal(members.length, 2);
    assert.ok(members.every((m: any) => m.groupId === 'g1'));
    // the module exists once
    assert.equal(((await engine.get('/modules')).json.modules as any[]).filter((m) => m.name === 'scale.Echo').length, 1);

    const who = await whoAnswers(10);
    assert.equal(who.filter((w) => w === 'a').length, 5, who.join(','));
    assert.equal(who.filter((w) => w === 'b').length, 5, who.join(','));
    // round-robin: consecutive calls alternate
    for (let i = 1; i < who.length; i++) assert.notEqual(who[i], who[i - 1]);

    // draining one member routes every call to the other at once
    const readyA = await a.next('ready');
    const idA = members.find((m: any) => m.executorUrl === readyA['executorUrl']).connectionId;
    assert.equal((await engine.post(`/providers/${idA}/drain`, { timeout: '5s' })).status, 202);
    assert.deepEqual(await whoAnswers(4), ['b', 'b', 'b', 'b']);
    await a.exited;

    // a member killed: the namespace lives on with the other
    const c = await startKitProvider({ namespace: 'scale', servers: [engine.grpcAddress], groupId: 'g1', tag: 'c' });
    b.kill('SIGKILL');
    await b.exited;
    await eventually('the killed member to leave', async () => (await engine.get('/providers')).json.providers.filter((x: any) => x.namespace === 'scale').length === 1);
    assert.deepEqual(await whoAnswers(3), ['c', 'c', 'c']);
    c.kill();
    await c.exited;
    await eventually('the namespace to be released', async () => !((await engine.get('/modules')).json.modules as any[]).some((m) => m.name.startsWith('scale.')));
  });

  test('a retry goes to the next member: a call that fails on a vanished member succeeds on another', async () => {
    const a = await startKitProvider({ namespace: 'retrying', servers: [engine.grpcAddress], groupId: 'g', tag: 'a' });
    const b = await startKitProvider({ namespace: 'retrying', servers: [engine.grpcAddress], groupId: 'g', tag: 'b' });
    // b freezes: its calls cannot complete; the attempt on it times out and the retry lands on a
    b.kill('SIGSTOP');
    try {
      const answers = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const r = await run(engine, 'in t: String\nr = retrying.Echo(t) with timeout: 300ms, retry: 2\nout r', { t: 'x' });
        assert.equal(r.json.status, 'completed', r.text);
        answers.add(r.json.outputs.r.who);
      }
      assert.deepEqual([...answers], ['a']);
    } finally {
      b.kill('SIGCONT');
    }
    a.kill();
    b.kill();
    await Promise.all([a.exited, b.exited]);
  });
});

describe('ownership', () => {
  test('a member whose schemas differ from the group is refused: nothing of the group changes', async () => {
    const a = await startKitProvider({ namespace: 'strict', servers: [engine.grpcAddress], groupId: 'g', tag: 'a' });
    await assert.rejects(startKitProvider({ namespace: 'strict', servers: [engine.grpcAddress], groupId: 'g', version: 'v2' }), /schema mismatch with group 'g': different schemas for Echo/);
    assert.equal((await engine.get('/providers')).json.providers.filter((x: any) => x.namespace === 'strict').length, 1);
    assert.equal((await run(engine, 'x = strict.Echo("a")\nout x')).json.outputs.x.who, 'a');
    a.kill();
    await a.exited;
  });

  test('solo and group owners exclude each other; another group cannot join', async () => {
    const solo = await startKitProvider({ namespace: 'owned', servers: [engine.grpcAddress], tag: 'solo' });
    await assert.rejects(startKitProvider({ namespace: 'owned', servers: [engine.grpcAddress] }), /Namespace 'owned' is owned by another provider/);
    await assert.rejects(startKitProvider({ namespace: 'owned', servers: [engine.grpcAddress], groupId: 'g' }), /Namespace 'owned' is owned by another provider/);
    solo.kill();
    await solo.exited;
    const g1 = await startKitProvider({ namespace: 'owned', servers: [engine.grpcAddress], groupId: 'g1' });
    await assert.rejects(startKitProvider({ namespace: 'owned', servers: [engine.grpcAddress], groupId: 'g2' }), /owned by a different provider group/);
    await assert.rejects(startKitProvider({ namespace: 'owned', servers: [engine.grpcAddress] }), /owned by another provider/);
    g1.kill();
    await g1.exited;
  });

  test('constellation-replace swaps a group\'s schemas atomically', async () => {
    const a = await startKitProvider({ namespace: 'swap', servers: [engine.grpcAddress], groupId: 'g', tag: 'a' });
    const client = rawClient(engine.grpcAddress);
    const md = new grpc.Metadata();
    md.set('constellation-replace', 'true');
    const { error, response } = await callRegister(client, { namespace: 'swap', groupId: 'g', protocolVersion: 1, executorUrl: '127.0.0.1:1', modules: [{ name: 'Echo', inputSchema: { record: { fields: { words: { list: { elementType: S } } } } }, outputSchema: S }] }, md);
    client.close();
    assert.equal(error, null);
    assert.equal(response.success, true, JSON.stringify(response));
    const echo = ((await engine.get('/modules')).json.modules as any[]).find((m) => m.name === 'swap.Echo');
    assert.deepEqual(echo.inputs, { words: 'CList(CString)' });
    // the other modules of the group left with the swap
    assert.equal(((await engine.get('/modules')).json.modules as any[]).some((m) => m.name === 'swap.Slow'), false);
    a.kill();
    await a.exited;
  });
});
