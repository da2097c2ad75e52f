import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { fileURLToPath } from 'node:url';
import { services } from '../../server/provider/proto.js';
import { API_KEYS_ENV, KEYS, request as http } from '../helpers/http.js';
import { callDeregister, callRegister, eventually, freePort, I, killProviders, rawClient, run, S, startEngine, startKitProvider, type EngineServer, type RawProviderClient } from './support.js';

/**
 * Registration edge cases, with a plain gRPC client sending what no well-behaved provider
 * sends: malformed requests are refused with INVALID_ARGUMENT and a message that locates the
 * problem; reserved namespaces and name clashes are refused in the response; registration is
 * all-or-nothing; Deregister and the control stream cannot touch another provider; providers
 * answering with the wrong type fail their node without being retried; the server and other
 * providers are unaffected throughout.
 */

const PUBLISHED_JS = fileURLToPath(new URL('../fixtures/modules/published.js', import.meta.url));

let engine: EngineServer;
let client: RawProviderClient;
before(async () => {
  // published.js holds a local module in a namespace: acme.math.Stats
  engine = await startEngine({ CONSTELLATION_PROVIDER_RESERVED_NS: 'stdlib,internal.ops', CONSTELLATION_PROVIDER_MAX_MESSAGE_SIZE: String(64 * 1024), CONSTELLATION_MODULES: PUBLISHED_JS });
  client = rawClient(engine.grpcAddress);
});
after(async () => {
  client.close();
  await killProviders();
  await engine.close();
});

const module = (name: string, inputSchema: unknown = { record: { fields: { text: S } } }, outputSchema: unknown = S) => ({ name, inputSchema, outputSchema, version: '1.0.0', description: '' });
const request = (over: Record<string, unknown> = {}) => ({ namespace: 'reg', protocolVersion: 1, executorUrl: '127.0.0.1:9', groupId: '', modules: [module('Upper')], ...over });

async function invalid(body: unknown): Promise<string> {
  const { error } = await callRegister(client, body);
  assert.ok(error, 'expected the request to be refused');
  assert.equal(error.code, grpc.status.INVALID_ARGUMENT, error.details);
  return error.details;
}

describe('malformed registrations: INVALID_ARGUMENT with the problem located', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['an empty namespace', { namespace: '' }, /namespace is empty/],
    ['a namespace segment that is not a name', { namespace: 'ml.2fast' }, /segment '2fast' must start with a letter/],
    ['a hyphen in the namespace', { namespace: 'my-service' }, /segment 'my-service'/],
    ['a keyword as a namespace segment', { namespace: 'ml.match' }, /segment 'match' is a keyword of constellation-lang/],
    ['an executor URL with a scheme', { executorUrl: 'http://127.0.0.1:9091' }, /host:port, not a URL with a scheme/],
    ['an empty executor URL', { executorUrl: '' }, /executor_url is empty/],
    ['an executor port out of range', { executorUrl: '127.0.0.1:70000' }, /port 70000 is out of range/],
    ['no modules', { modules: [] }, /declares no modules/],
    ['a module name that is not a name', { modules: [module('to-upper')] }, /module name 'to-upper' must start with a letter/],
    ['a module declared twice', { modules: [module('A'), module('A')] }, /module 'A': declared twice/],
    ['a missing input schema', { modules: [{ name: 'A', outputSchema: S }] }, /module 'A': schema does not convert at input: input_schema is missing/],
    ['a TypeSchema with no type set', { modules: [module('A', {})] }, /module 'A': schema does not convert at input: no type set/],
    ['a list without its element type', { modules: [module('A', { record: { fields: { tags: { list: {} } } } })] }, /at input\.tags: list without element_type/],
    ['a map without its value type', { modules: [module('A', S, { map: { keyType: S } })] }, /at output: map without value_type/],
    ['a union without variants', { modules: [module('A', S, { union: { variants: [] } })] }, /at output: union without variants/],
    ['an option without inner type', { modules: [module('A', { option: {} })] }, /at input: option without inner_type/],
    ['an unknown primitive kind', { modules: [module('A', { primitive: { kind: 9 } })] }, /at input: unknown primitive kind 9/],
    ['a name longer than allowed', { modules: [module('A'.repeat(200))] }, /modules\.0\.name: longer than 128 characters/],
  ];
  for (const [what, over, expected] of cases) {
    test(what, async () => {
      assert.match(await invalid(request(over)), expected);
    });
  }

  test('a schema nested deeper than the limit', async () => {
    let deep: unknown = S;
    for (let i = 0; i < 40; i++) deep = { list: { elementType: deep } };
    assert.match(await invalid(request({ modules: [module('Deep', deep)] })), /nested deeper than 32 levels/);
  });

  test('a registration larger than the message limit is RESOURCE_EXHAUSTED', async () => {
    const { error } = await callRegister(client, request({ modules: [{ ...module('Big'), description: 'x'.repeat(100 * 1024) }] }));
    assert.equal(error?.code, grpc.status.RESOURCE_EXHAUSTED);
  });

  test('nothing was registered by any of them, and the port still serves', async () => {
    assert.equal((await engine.get('/providers')).json.providers.length, 0);
    const { error, response } = await callRegister(client, request({ namespace: 'after.all' }));
    assert.equal(error, null);
    assert.equal(response.success, true);
  });
});

describe('refusals in the response', () => {
  test('reserved namespaces (and those below them) are refused for every module', async () => {
    for (const namespace of ['stdlib', 'stdlib.math', 'internal.ops', 'internal.ops.x']) {
      const { error, response } = await callRegister(client, request({ namespace, modules: [module('A'), module('B')] }));
      assert.equal(error, null);
      assert.equal(response.success, false);
      assert.equal(response.connectionId, '');
      assert.deepEqual(response.results.map((r: any) => [r.moduleName, r.accepted, r.rejectionReason]), [
        ['A', false, `Namespace '${namespace}' is reserved`],
        ['B', false, `Namespace '${namespace}' is reserved`],
      ]);
    }
    // not reserved: a namespace that only starts with the same letters
    assert.equal((await callRegister(client, request({ namespace: 'stdlibx' }))).response.success, true);
    assert.equal((await callRegister(client, request({ namespace: 'internal' }))).response.success, true);
    assert.ok(!((await engine.get('/modules')).json.modules as any[]).some((m) => m.name === 'stdlib.A'));
  });

  test('all or nothing: one refused module registers none, and the namespace stays free for a retry', async () => {
    const first = await callRegister(client, request({ namespace: 'half', modules: [module('Fine')] }));
    assert.equal(first.response.success, true);
    // another connection in the same namespace: refused whole
    const second = await callRegister(client, request({ namespace: 'half', modules: [module('Other')] }));
    assert.equal(second.response.success, false);
    assert.match(second.response.results[0].rejectionReason, /owned by another provider/);
    assert.ok(!((await engine.get('/modules')).json.modules as any[]).some((m) => m.name === 'half.Other'));
  });

  test('a name that exists already (a local module) is refused; other names of that namespace are free', async () => {
    const clash = await callRegister(client, request({ namespace: 'acme.math', modules: [module('Stats'), module('Mean')] }));
    assert.equal(clash.response.success, false);
    assert.deepEqual(clash.response.results.map((r: any) => r.rejectionReason), ["Module 'acme.math.Stats' already exists", "Module 'acme.math.Stats' already exists"]);
    // the local module is untouched
    const stats = ((await engine.get('/modules')).json.modules as any[]).find((m) => m.name === 'acme.math.Stats');
    assert.equal(stats.version, '0.4');
    const other = await callRegister(client, request({ namespace: 'acme.math', modules: [module('Mean')] }));
    assert.equal(other.response.success, true);
  });

  test('the STRING quirk: an empty PrimitiveType is String', async () => {
    const r = await callRegister(client, request({ namespace: 'quirk', modules: [module('Q', { primitive: {} }, { primitive: {} })] }));
    assert.equal(r.response.success, true);
    const q = ((await engine.get('/modules')).json.modules as any[]).find((m) => m.name === 'quirk.Q');
    assert.deepEqual([q.inputs, q.outputs], [{ input: 'CString' }, { output: 'CString' }]);
  });
});

describe('deregistration and control streams are bound to their connection', () => {
  test('Deregister: unknown connection, wrong namespace, unknown module, and the namespace fallback', async () => {
    const reg = await callRegister(client, request({ namespace: 'dereg', modules: [module('A'), module('B')] }));
    const id = reg.response.connectionId;
    const unknown = await callDeregister(client, { namespace: 'dereg', moduleNames: ['A'], connectionId: 'no-such-id' });
    assert.deepEqual(unknown.response.results.map((r: any) => [r.removed, r.error]), [[false, "not found: no connection 'no-such-id'"]]);
    const wrongNs = await callDeregister(client, { namespace: 'other', moduleNames: ['A'], connectionId: id });
    assert.deepEqual(wrongNs.response.results.map((r: any) => r.error), ['wrong namespace owner']);
    const partial = await callDeregister(client, { namespace: 'dereg', moduleNames: ['A', 'Nope'], connectionId: id });
    assert.equal(partial.response.success, false);
    assert.deepEqual(partial.response.results.map((r: any) => [r.moduleName, r.removed, r.error]), [['A', true, ''], ['Nope', false, 'not found']]);
    const modules = ((await engine.get('/modules')).json.modules as any[]).map((m) => m.name);
    assert.ok(!modules.includes('dereg.A') && modules.includes('dereg.B'));
    // no connection id: the namespace's sole owner
    const fallback = await callDeregister(client, { namespace: 'dereg', moduleNames: ['B'] });
    assert.equal(fallback.response.success, true);
    assert.ok(!(await engine.get('/providers')).json.providers.some((x: any) => x.connectionId === id));
  });

  test('a control stream must name a live connection, once; messages naming another connection are ignored', async () => {
    const a = (await callRegister(client, request({ namespace: 'cp.a' }))).response.connectionId;
    const b = (await callRegister(client, request({ namespace: 'cp.b' }))).response.connectionId;
    const status = (stream: grpc.ClientDuplexStream<any, any>) => new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve).on('error', () => {}).on('data', () => {}));

    const unknown = client.controlPlane();
    unknown.write({ connectionId: 'nobody', heartbeat: { namespace: 'x', timestamp: Date.now() } });
    assert.equal((await status(unknown)).code, grpc.status.NOT_FOUND);

    const streamA = client.controlPlane();
    const acks: any[] = [];
    // (ActiveModulesReports come on the stream too: only acks are counted)
    streamA.on('data', (m) => m.heartbeatAck && acks.push(m));
    streamA.write({ connectionId: a, heartbeat: { namespace: 'cp.a', timestamp: 1 } });
    await eventually('the first ack', () => acks.length === 1);
    assert.equal(acks[0].connectionId, a);
    assert.equal(acks[0].heartbeatAck.timestamp, 1);

    const second = client.controlPlane();
    second.write({ connectionId: a, heartbeat: { namespace: 'cp.a', timestamp: 2 } });
    assert.equal((await status(second)).code, grpc.status.ALREADY_EXISTS);

    // stream A ending must not withdraw B even if it claims to be B
    streamA.write({ connectionId: b, heartbeat: { namespace: 'cp.b', timestamp: 3 } });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(acks.length, 1);
    streamA.end();
    await eventually('A to leave', async () => !(await engine.get('/providers')).json.providers.some((x: any) => x.connectionId === a));
    assert.ok((await engine.get('/providers')).json.providers.some((x: any) => x.connectionId === b));
  });

  test('a registration that never opens its control stream is closed after the control-plane timeout', async () => {
    const id = (await callRegister(client, request({ namespace: 'silent' }))).response.connectionId;
    assert.ok((await engine.get('/providers')).json.providers.some((x: any) => x.connectionId === id && x.state === 'Registered'));
    await eventually('the silent connection to be closed', async () => !(await engine.get('/providers')).json.providers.some((x: any) => x.connectionId === id), 5_000);
  });
});

/** An executor that answers whatever `answer` returns, registered under `namespace`. */
async function fakeExecutor(namespace: string, outputSchema: unknown, answer: () => unknown): Promise<{ close(): Promise<void>; calls: () => number }> {
  const server = new grpc.Server();
  let calls = 0;
  server.addService(services().ModuleExecutor.service, {
    execute: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
      calls++;
      callback(null, answer());
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  const reg = await callRegister(client, request({ namespace, executorUrl: `127.0.0.1:${port}`, modules: [module('M', { record: { fields: { n: I } } }, outputSchema)] }));
  assert.equal(reg.response.success, true);
  const stream = client.controlPlane();
  stream.on('data', () => {}).on('error', () => {});
  const beat = () => stream.write({ connectionId: reg.response.connectionId, heartbeat: { namespace, timestamp: Date.now() } });
  beat();
  const timer = setInterval(beat, 200);
  return {
    calls: () => calls,
    close: async () => {
      clearInterval(timer);
      stream.end();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

describe('providers that answer badly', () => {
  test('an output of the wrong type fails the node with InvalidModuleOutput, and is not retried', async () => {
    const ex = await fakeExecutor('bad.kind', I, () => ({ outputData: Buffer.from(JSON.stringify({ tag: 'CString', value: 'seven' })) }));
    const r = await run(engine, 'x = bad.kind.M(1) with retry: 3\nout x');
    assert.equal(r.json.status, 'failed');
    assert.match(JSON.stringify(r.json), /InvalidModuleOutput/);
    assert.match(JSON.stringify(r.json), /expected CInt, got CString/);
    assert.equal(ex.calls(), 1);
    await ex.close();
  });

  test('output that is not JSON, an empty answer, TYPE_ERROR and MODULE_NOT_FOUND', async () => {
    // the empty answer looks transient, so its node retries: three empty answers for its three attempts
    const answers: unknown[] = [
      { outputData: Buffer.from('not json') },
      {},
      {},
      {},
      { error: { code: 'TYPE_ERROR', message: 'bad input' } },
      { error: { code: 'MODULE_NOT_FOUND', message: 'Module not found: M' } },
    ];
    let i = 0;
    const ex = await fakeExecutor('bad.answers', I, () => answers[i++]);
    const expectations = [/InvalidModuleOutput.*not valid JSON/, /RetriesExhausted.*empty response/, /InvalidModuleInput.*\[TYPE_ERROR\] bad input/, /ModuleNotFound.*\[MODULE_NOT_FOUND\]/];
    for (const expected of expectations) {
      const r = await run(engine, 'x = bad.answers.M(1) with retry: 2\nout x');
      assert.equal(r.json.status, 'failed');
      assert.match(JSON.stringify(r.json.errors ?? r.json), expected);
    }
    // none of them was retried, except the empty answer
    assert.equal(ex.calls(), 1 + 3 + 1 + 1);
    await ex.close();
  });

  test('provider TIMEOUT is a timed-out node; the server is unaffected', async () => {
    const ex = await fakeExecutor('bad.slow', I, () => ({ error: { code: 'TIMEOUT', message: 'too slow' } }));
    const r = await run(engine, 'x = bad.slow.M(1)\nout x');
    assert.equal(r.json.status, 'failed');
    assert.match(JSON.stringify(r.json), /ModuleTimeout/);
    await ex.close();
    assert.equal((await engine.get('/health')).status, 200);
  });
});

describe('access', () => {
  test('the provider routes take API keys like any GET / POST route, and are in /openapi.json', async () => {
    const guarded = await startEngine({ CONSTELLATION_API_KEYS: API_KEYS_ENV });
    try {
      const get = (key?: string) => http(guarded.server.port, '/providers', key ? { headers: { authorization: `Bearer ${key}` } } : {});
      const drain = (key: string) => http(guarded.server.port, '/providers/nobody/drain', { method: 'POST', headers: { authorization: `Bearer ${key}` } });
      assert.equal((await get()).status, 401);
      assert.equal((await get(KEYS.readonly)).status, 200);
      assert.equal((await drain(KEYS.readonly)).status, 403);
      assert.equal((await drain(KEYS.execute)).status, 404);
      assert.equal((await drain(KEYS.admin)).status, 404);
      const doc = (await http(guarded.server.port, '/openapi.json', { headers: { authorization: `Bearer ${KEYS.readonly}` } })).json;
      assert.ok(doc.paths['/providers']?.get);
      assert.ok(doc.paths['/providers/{connectionId}/drain']?.post);
    } finally {
      await guarded.close();
    }
  });

  test('a drain request with a bad body is 400', async () => {
    const id = (await callRegister(client, request({ namespace: 'drainbody' }))).response.connectionId;
    const bad = await engine.post(`/providers/${id}/drain`, { timeout: 'whenever' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /timeout: expected a duration/);
  });


  test('with CONSTELLATION_PROVIDER_TOKEN, calls without it are UNAUTHENTICATED; the kit presents it and the engine sends it to executors', async () => {
    const token = 'provider-secret-0123456789';
    const secured = await startEngine({ CONSTELLATION_PROVIDER_TOKEN: token });
    const c = rawClient(secured.grpcAddress);
    try {
      const { error } = await callRegister(c, request());
      assert.equal(error?.code, grpc.status.UNAUTHENTICATED);
      const wrong = new grpc.Metadata();
      wrong.set('authorization', 'Bearer not-the-secret-at-all');
      assert.equal((await callRegister(c, request(), wrong)).error?.code, grpc.status.UNAUTHENTICATED);
      await assert.rejects(startKitProvider({ namespace: 'sec', servers: [secured.grpcAddress] }), /UNAUTHENTICATED|missing or wrong provider token/);
      // the kit with the token: registers, and its executor accepts the engine's calls (it requires the token too)
      const p = await startKitProvider({ namespace: 'sec', servers: [secured.grpcAddress], token });
      assert.equal((await run(secured, 'x = sec.Echo("ok")\nout x')).json.outputs.x.text, 'ok');
      p.kill();
      await p.exited;
    } finally {
      c.close();
      await secured.close();
    }
  });
});
