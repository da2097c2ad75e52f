import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { sharedEngine, eventually, freePort, run, spawnReferenceProvider, startKitProvider, type ProviderProcess } from './support.js';

/**
 * Compatibility with providers written against the reference TypeScript SDK: a provider process
 * that behaves on the wire as that SDK does (test/fixtures/providers/reference-style-provider.ts)
 * registers and serves unchanged. Each of the SDK's habits is pinned here.
 */

const engine = sharedEngine();

async function startReference(env: Record<string, string> = {}): Promise<{ p: ProviderProcess; connectionId: string }> {
  const port = await freePort();
  const p = spawnReferenceProvider({ PROVIDER_SERVER: engine.grpcAddress, PROVIDER_EXECUTOR_PORT: String(port), ...env });
  const ready = await p.next(['ready', 'refused', 'error'], 15_000);
  assert.equal(ready.event, 'ready', JSON.stringify(ready));
  return { p, connectionId: String(ready['connectionId']) };
}

describe('a reference-SDK provider', () => {
  let ref: { p: ProviderProcess; connectionId: string };
  before(async () => {
    ref = await startReference();
  });

  test('registers without a deadline and advertises localhost:<port> while listening on 0.0.0.0: its modules are callable', async () => {
    const conn = await eventually('the provider to be Active', async () => (await engine.get('/providers')).json.providers.find((x: any) => x.connectionId === ref.connectionId && x.state === 'Active'));
    assert.match(conn.executorUrl, /^localhost:\d+$/);
    const r = await run(engine, 'in t: String\nx = ref.text.Upper(t)\nout x', { t: 'quiet' });
    assert.equal(r.json.status, 'completed', r.text);
    assert.equal(r.json.outputs.x, 'QUIET');
  });

  test('STRING arrives as an empty PrimitiveType and is read as String', async () => {
    const upper = ((await engine.get('/modules')).json.modules as any[]).find((m) => m.name === 'ref.text.Upper');
    assert.deepEqual(upper.inputs, { input: 'CString' });
    assert.deepEqual(upper.outputs, { output: 'CString' });
  });

  test('a non-record input is one parameter named input, sent wrapped as { input }', async () => {
    const before = ref.p.events.length;
    const r = await run(engine, 'x = ref.text.Upper("wrapped")\nout x');
    assert.equal(r.json.outputs.x, 'WRAPPED');
    const seen = ref.p.events.slice(before).find((e) => e.event === 'input')!;
    assert.deepEqual(seen['json'], { tag: 'CProduct', value: { input: { tag: 'CString', value: 'wrapped' } }, structure: { input: { tag: 'CString' } } });
    const execute = ref.p.events.slice(before).find((e) => e.event === 'execute')!;
    // the real execution id, and the node's place in the metadata
    assert.equal(execute['executionId'], r.json.executionId);
    const metadata = execute['metadata'] as Record<string, string>;
    assert.equal(metadata['constellation-attempt'], '1');
    assert.match(metadata['constellation-node-id']!, /^\d+$/);
    assert.equal(metadata['constellation-structural-hash'], r.json.structuralHash.replace(/^sha256:/, ''));
    assert.match(metadata['traceparent']!, new RegExp(`^00-${r.json.executionId.replace(/-/g, '')}-[0-9a-f]{16}-01$`));
  });

  test('union values named by the provider are mapped by position', async () => {
    const src = 'in n: Int\nx = ref.text.Classify(n)\nkind = match x { is Int -> "number", is String -> "word" }\nout kind\nout x';
    const even = await run(engine, src, { n: 4 });
    assert.equal(even.json.status, 'completed', even.text);
    assert.equal(even.json.outputs.kind, 'number');
    const odd = await run(engine, src, { n: 3 });
    assert.equal(odd.json.outputs.kind, 'word');
  });

  test('heartbeats are acknowledged with their own timestamp', async () => {
    const ack = await ref.p.next('heartbeat-ack');
    assert.equal(typeof ack['timestamp'], 'number');
    assert.ok((ack['timestamp'] as number) > Date.now() - 60_000);
  });

  test('it stops the SDK way (stream closed, then Deregister): modules leave at once, Deregister succeeds, other providers untouched', async () => {
    const other = await startKitProvider({ namespace: 'bystander', servers: [engine.grpcAddress] });
    const mark = ref.p.events.length;
    ref.p.kill('SIGTERM');
    await ref.p.next('stream-closed');
    // between the stream's end and the Deregister call, the modules are already gone
    await eventually('the modules to leave when the stream closed', async () => !((await engine.get('/modules')).json.modules as any[]).some((m) => m.name.startsWith('ref.text.')));
    const dereg = ref.p.events.slice(mark).find((e) => e.event === 'deregistered') ?? (await ref.p.next('deregistered'));
    assert.equal(dereg['error'], null);
    const response = dereg['response'] as { success: boolean; results: { moduleName: string; removed: boolean }[] };
    assert.equal(response.success, true);
    assert.deepEqual(response.results.map((x) => [x.moduleName, x.removed]), [['Upper', true], ['Classify', true]]);
    assert.equal(await ref.p.exited, 0);
    assert.equal((await run(engine, 'x = bystander.Echo("still")\nout x')).json.outputs.x.text, 'still');
    other.kill();
    await other.exited;
  });
});

describe('drains of reference-SDK providers', () => {
  test('it never acknowledges a drain: no calls are routed to it from the request on, and it is closed after the deadline', async () => {
    const { p, connectionId } = await startReference({ PROVIDER_NAMESPACE: 'ref.noack' });
    const reply = await engine.post(`/providers/${connectionId}/drain`, { timeout: '300ms', reason: 'scale in' });
    assert.equal(reply.status, 202);
    const request = await p.next('drain-request');
    assert.equal(request['reason'], 'scale in');
    // an absolute epoch-ms deadline
    assert.ok(Math.abs((request['deadlineMs'] as number) - Date.parse(reply.json.deadline)) < 5);
    const r = await run(engine, 'x = ref.noack.Upper("a")\nout x');
    assert.equal(r.json.status, 'failed');
    assert.match(JSON.stringify(r.json), /ProviderUnavailable/);
    // deadline (300 ms) + grace (300 ms): force-closed, modules gone
    const end = await p.next(['stream-error', 'stream-end'], 5_000);
    assert.equal(end['event'] === 'stream-error' ? end['code'] : 4, 4); // DEADLINE_EXCEEDED
    await eventually('the provider to be closed', async () => !(await engine.get('/providers')).json.providers.some((x: any) => x.connectionId === connectionId));
    p.kill('SIGKILL');
  });

  test('a DrainAck sent without a connection id belongs to the stream it came on', async () => {
    const { p, connectionId } = await startReference({ PROVIDER_NAMESPACE: 'ref.ack', PROVIDER_ACK_DRAIN: '1' });
    assert.equal((await engine.post(`/providers/${connectionId}/drain`, { timeout: '10s' })).status, 202);
    await p.next('drain-request');
    const conn = await eventually('the ack to be recorded', async () => (await engine.get('/providers')).json.providers.find((x: any) => x.connectionId === connectionId && x.drain?.acknowledged));
    assert.equal(conn.state, 'Draining');
    assert.equal(conn.drain.reportedInFlight, 0);
    p.kill('SIGKILL');
  });
});
