import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';

/** `GET /namespaces`, `GET /namespaces/{namespace}`. */

const FIXTURE = fileURLToPath(new URL('../fixtures/modules/published.js', import.meta.url));

let s: TestServer;
before(async () => {
  s = await startServer({ env: { CONSTELLATION_MODULES: FIXTURE } });
});
after(async () => {
  await s.close();
});

describe('GET /namespaces', () => {
  test('every namespace (and parent namespace), sorted', async () => {
    const r = await s.get('/namespaces');
    assert.equal(r.status, 200);
    const ns: string[] = r.body.namespaces;
    assert.deepEqual(ns, [...ns].sort());
    for (const n of ['stdlib', 'stdlib.math', 'stdlib.string', 'acme', 'acme.math']) assert.ok(ns.includes(n), n);
  });
});

describe('GET /namespaces/{namespace}', () => {
  test('functions with language-spelled types', async () => {
    const r = await s.get('/namespaces/stdlib.math');
    assert.equal(r.status, 200);
    assert.equal(r.body.namespace, 'stdlib.math');
    const add = r.body.functions.find((f: { name: string }) => f.name === 'add');
    assert.deepEqual(add, { name: 'add', qualifiedName: 'stdlib.math.add', params: ['a: Int', 'b: Int'], returns: 'Int' });
    const names = r.body.functions.map((f: { qualifiedName: string }) => f.qualifiedName);
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.every((n: string) => n.startsWith('stdlib.math.')));
  });

  test('a parent namespace includes its sub-namespaces', async () => {
    const r = await s.get('/namespaces/stdlib');
    assert.equal(r.status, 200);
    const names: string[] = r.body.functions.map((f: { qualifiedName: string }) => f.qualifiedName);
    assert.ok(names.includes('stdlib.math.add'));
    assert.ok(names.some((n) => n.startsWith('stdlib.string.')));
  });

  test('module namespaces: records and lists in language spelling', async () => {
    const r = await s.get('/namespaces/acme');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.functions, [
      { name: 'Stats', qualifiedName: 'acme.math.Stats', params: ['numbers: List<Int>', 'label: Optional<String>'], returns: r.body.functions[0].returns },
    ]);
    assert.match(r.body.functions[0].returns, /^\{ .*count: Int.*\}$/);
  });

  test('unknown namespace, or a prefix that is not a namespace → 404 NamespaceNotFound', async () => {
    const r = await s.get('/namespaces/nope');
    assert.equal(r.status, 404);
    assert.deepEqual(r.body, { error: 'NamespaceNotFound', message: "Namespace 'nope' not found or has no functions", requestId: null });
    assert.equal((await s.get('/namespaces/std')).status, 404);
  });
});
