import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REFERENCE_ROUTES } from '../helpers/routes.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** `GET /openapi.json`: an OpenAPI 3.1 document covering every route of the server. */

const EXPECTED = REFERENCE_ROUTES;

const WITH_BODY = new Set([
  'post /compile', 'post /run', 'post /execute', 'post /executions/{id}/resume', 'post /debug/sessions', 'put /pipelines/{name}/alias', 'post /pipelines/{name}/reload', 'post /modules/{name}/invoke',
  'post /api/v1/preview', 'post /api/v1/execute',
]);

type Operation = {
  operationId: string;
  summary: string;
  parameters?: { name: string; in: string; required: boolean; schema: object }[];
  requestBody?: { required: boolean; content: Record<string, { schema: object }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: object }> }>;
};

let s: TestServer;
let doc: { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, object>; securitySchemes: object } };
before(async () => {
  s = await startServer();
  const r = await s.get('/openapi.json');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  doc = r.body;
});
after(async () => {
  await s.close();
});

function operations(): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => [method, path, op] as [string, string, Operation]));
}

function collectRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => collectRefs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

describe('GET /openapi.json', () => {
  test('is an OpenAPI 3.1 document with info, paths and components', () => {
    assert.match(doc.openapi, /^3\.1\.\d+$/);
    assert.equal(typeof doc.info.title, 'string');
    assert.equal(typeof doc.info.version, 'string');
    assert.equal(typeof doc.paths, 'object');
    assert.ok(Object.keys(doc.components.schemas).length > 10);
    assert.ok(doc.components.securitySchemes);
  });

  test('every route is present, and nothing else', () => {
    const documented = operations().map(([m, p]) => `${m} ${p}`).sort();
    assert.deepEqual(documented, EXPECTED.map(([m, p]) => `${m} ${p}`).sort());
  });

  test('every operation: unique operationId, summary, path parameters, responses with descriptions', () => {
    const ids = new Set<string>();
    for (const [method, path, op] of operations()) {
      const where = `${method} ${path}`;
      assert.ok(op.operationId && !ids.has(op.operationId), `${where}: unique operationId`);
      ids.add(op.operationId);
      assert.ok(op.summary, `${where}: summary`);
      const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const inPath = (op.parameters ?? []).filter((p) => p.in === 'path');
      assert.deepEqual(inPath.map((p) => p.name), params, `${where}: path parameters`);
      for (const p of inPath) assert.equal(p.required, true);
      // anything else is an optional query parameter (paging)
      for (const p of op.parameters ?? []) if (p.in !== 'path') assert.deepEqual([p.in, p.required], ['query', false], `${where}: ${p.name}`);
      const statuses = Object.keys(op.responses);
      // a WebSocket route succeeds with 101 Switching Protocols
      assert.ok(statuses.some((c) => c.startsWith('2') || c === '101'), `${where}: a success response`);
      for (const [code, r] of Object.entries(op.responses)) {
        assert.match(code, /^[1-5]\d\d$/);
        assert.ok(r.description, `${where} ${code}: description`);
      }
      assert.equal(Boolean(op.requestBody), WITH_BODY.has(where), `${where}: request body documented iff the route reads one`);
      if (op.requestBody) assert.ok(op.requestBody.content['application/json']?.schema, `${where}: JSON body schema`);
    }
  });

  test('documented error responses', () => {
    const r = (m: string, p: string) => Object.keys(doc.paths[p]![m]!.responses);
    assert.ok(r('get', '/pipelines/{ref}').includes('404'));
    assert.ok(r('delete', '/pipelines/{ref}').includes('409'));
    assert.ok(r('post', '/pipelines/{name}/reload').includes('409'));
    assert.ok(r('post', '/pipelines/{name}/reload').includes('400'));
    assert.ok(r('post', '/pipelines/{name}/rollback/{version}').includes('400'));
    assert.ok(r('post', '/modules/{name}/invoke').includes('500'));
    assert.ok(r('get', '/namespaces/{namespace}').includes('404'));
    assert.ok(r('post', '/execute').includes('413'));
    assert.deepEqual(doc.paths['/pipelines/{ref}']!['get']!.responses['404']!.content!['application/json']!.schema, { $ref: '#/components/schemas/ErrorResponse' });
  });

  test('every $ref resolves to a component schema; request schemas come from the zod schemas', () => {
    for (const ref of collectRefs(doc)) {
      assert.match(ref, /^#\/components\/schemas\//);
      assert.ok(doc.components.schemas[ref.slice('#/components/schemas/'.length)], ref);
    }
    const compile = doc.components.schemas['CompileRequest'] as { type: string; properties: Record<string, object>; required: string[] };
    assert.equal(compile.type, 'object');
    assert.deepEqual(compile.required, ['source']);
    assert.ok(compile.properties['name']);
    const canary = doc.components.schemas['CanaryStateResponse'] as { properties: { status: { enum: string[] } } };
    assert.deepEqual(canary.properties.status.enum, ['observing', 'promoting', 'rolled_back', 'complete']);
  });

  test('every documented route is routed (no "No route" 404, no 405)', async () => {
    for (const [method, path] of operations()) {
      const concrete = path.replace(/\{[^}]+\}/g, 'placeholder');
      const r = await s.request(method.toUpperCase(), concrete);
      assert.notEqual(r.status, 405, `${method} ${path}`);
      if (r.status === 404) assert.doesNotMatch(String(r.body.message), /^No route for/, `${method} ${path}`);
    }
  });
});
