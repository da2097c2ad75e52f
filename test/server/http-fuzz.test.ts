import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { rawRequest, request, spawnServer, tempDir, type RawReply, type Reply, type SpawnedServer } from '../helpers/http.js';
import { prng } from '../helpers/prng.js';
import { serverRoutes, type RouteEntry } from '../helpers/routes.js';
import { startServer } from '../helpers/server.js';

/**
 * HTTP fuzzing of the real server process (seeded; the seed is printed and named in every
 * failure — rerun with FUZZ_SEED=<n>): malformed JSON, wrong types for every field of every
 * body-carrying route, huge strings, 100k-deep nesting, odd unicode in sources, names, inputs,
 * paths and headers, random methods and paths, bodies over the limit with and without
 * Content-Length. Never a 5xx; every 4xx is JSON with an `error`/`errors` field; the process
 * never dies, logs no error, stays healthy, drains cleanly and restarts on its data.
 */

const SEED = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) : Math.floor(Math.random() * 2 ** 31);
const MAX_BODY = 256 * 1024;
const BUDGET_MS = 35_000;
const CONCURRENCY = 8;

const rand = prng(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const chance = (p: number) => rand() < p;

const ODD = [
  '\ud800', '\udfff', '\udc00\ud800', '\u0000', 'a\u0000b', '\u202eevil\u202c', '\u200f\u05e9\u05dc\u05d5\u05dd', '😀', '👩‍👩‍👧‍👦', 'e\u0301\u0301\u0301',
  '\ufeff', '\uffff', '\ufffe', '\u2028\u2029', '\r\n', '\t', '\\', '"', "'", '${', '}', '../../etc/passwd', '%00', '%zz', '/', '?', '#', ' ', '',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'sha256:', 'sha256:' + 'a'.repeat(64), 'f'.repeat(64), 'F'.repeat(64), 'g'.repeat(64),
  '0', '-1', '1e400', 'NaN', 'null', 'true', '<script>', 'Ω≈ç√∫', '\u{10ffff}', '\u0085', '\u00a0',
];

function oddString(): string {
  const r = rand();
  if (r < 0.5) return pick(ODD);
  if (r < 0.7) return Array.from({ length: 1 + int(6) }, () => pick(ODD)).join('');
  if (r < 0.8) return pick(ODD).repeat(1 + int(2000));
  if (r < 0.9) return String.fromCharCode(...Array.from({ length: 1 + int(40) }, () => int(0x10000)));
  return 'x'.repeat(int(20_000));
}

const VALID_SOURCES = [
  'in x: Int\nout x\n',
  'in a: Int\nin b: Int\nc = a + b\nout c\n',
  'in s: String\nt = "${s}!"\nout t\n',
  'in xs: List<Int>\nys = filter(xs, (v) => v > 1)\nout ys\n',
  'in p: { name: String, age: Int }\nn = p.name\nout n\n',
  'in t: String\nr = Uppercase(t)\nout r\n',
  'in f: Float\nin o: Optional<Int>\ng = f * 2.0\nout g\n',
  'in t: String\nr = Uppercase(t) with retry: 2, timeout: 100ms\nout r\n',
  'in x: Int\ny = if (x > 1) x else 0\nout y\n',
];
const TOKENS = ['in', 'out', '=', '(', ')', '{', '}', '[', ']', '<', '>', ':', ',', '.', 'with', 'retry:', 'if', 'else', 'match', '=>', '"', '${', '->', 'use', 'type', 'Int', 'String', 'List<', 'Optional<', '1', '-2.5', '1e999', 'x', 'y', '\n', ' ', '#', '//', 'and', 'or', 'not', '??', '+', '*', '/', '%'];

function source(): string {
  const r = rand();
  if (r < 0.3) return pick(VALID_SOURCES);
  if (r < 0.6) {
    // a valid program with odd text spliced in
    let s = pick(VALID_SOURCES);
    for (let i = 0, n = 1 + int(3); i < n; i++) {
      const at = int(s.length + 1);
      s = s.slice(0, at) + (chance(0.5) ? oddString() : pick(TOKENS)) + s.slice(at + int(4));
    }
    return s;
  }
  if (r < 0.85) return Array.from({ length: 1 + int(60) }, () => (chance(0.9) ? pick(TOKENS) : pick(ODD))).join(chance(0.5) ? ' ' : '');
  if (r < 0.95) return oddString();
  // deep or long constructs
  const n = 1000 + int(20_000);
  return pick([
    () => 'in x: Int\ny = ' + '('.repeat(n) + 'x' + ')'.repeat(n) + '\nout y\n',
    () => 'in x: Int\ny = x' + ' + x'.repeat(n) + '\nout y\n',
    () => 'in x: ' + 'List<'.repeat(n) + 'Int' + '>'.repeat(n) + '\nout x\n',
    () => 'in x: Int\ny = ' + '{ a: '.repeat(n) + 'x' + ' }'.repeat(n) + '\nout y\n',
    () => 'in s: String\nt = "' + '${'.repeat(n) + '\nout t\n',
  ])();
}

/** A JSON text of any type, often deep or odd. */
function jsonValue(depth = 0): string {
  const r = rand();
  if (depth > 4 || r < 0.15) return pick(['null', 'true', 'false', '0', '-0', '1.5', '1e400', '-1e-400', '123456789012345678901234567890', '9007199254740993', '42']);
  if (r < 0.45) return JSON.stringify(oddString());
  if (r < 0.6) return `[${Array.from({ length: int(4) }, () => jsonValue(depth + 1)).join(',')}]`;
  if (r < 0.8) return `{${Array.from({ length: int(4) }, () => `${JSON.stringify(chance(0.5) ? oddString() : pick(['x', 'a', 'b', 's', 't', 'xs', 'p', 'f', 'o']))}:${jsonValue(depth + 1)}`).join(',')}}`;
  if (r < 0.9) return JSON.stringify(pick([1, 'text', [1, 2], { name: 'n', age: 1 }, 2.5, true]));
  const n = 1000 + int(30_000);
  return chance(0.5) ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n);
}

/** Every body field any route reads, with values of the right shape to go further. */
const FIELDS: Record<string, () => string> = {
  source: () => JSON.stringify(source()),
  name: () => JSON.stringify(chance(0.5) ? `fuzz-${int(20)}` : oddString()),
  dagName: () => JSON.stringify(chance(0.5) ? `fuzz-${int(20)}` : oddString()),
  ref: () => JSON.stringify(chance(0.5) ? `fuzz-${int(20)}` : oddString()),
  inputs: () => `{"x":${jsonValue()},"a":1,"b":${jsonValue()},"s":${jsonValue()},"t":"text","xs":${jsonValue()}}`,
  additionalInputs: () => `{"b":${jsonValue()}}`,
  resolvedNodes: () => `{"c":${jsonValue()}}`,
  structuralHash: () => JSON.stringify(chance(0.5) ? 'a'.repeat(64) : oddString()),
  canary: () => `{"initialWeight":${jsonValue()},"promotionSteps":${jsonValue()},"observationWindow":${jsonValue()},"errorThreshold":${jsonValue()},"latencyThresholdMs":${jsonValue()},"minRequests":${jsonValue()},"autoPromote":${jsonValue()}}`,
  text: () => jsonValue(),
  numbers: () => jsonValue(),
};

function body(): string | Buffer {
  const r = rand();
  if (r < 0.55) {
    // an object with some known fields, each right or wrongly typed
    const keys = Object.keys(FIELDS).filter(() => chance(0.4));
    const parts = keys.map((k) => `${JSON.stringify(k)}:${chance(0.6) ? FIELDS[k]!() : jsonValue()}`);
    if (chance(0.1)) parts.push(`${JSON.stringify(oddString())}:${jsonValue()}`);
    return `{${parts.join(',')}}`;
  }
  if (r < 0.7) {
    // malformed JSON: truncated, garbage, non-JSON syntax
    const good = `{"source":${JSON.stringify(pick(VALID_SOURCES))},"inputs":{"x":1}}`;
    return pick([
      () => good.slice(0, int(good.length)),
      () => good.replace('"', "'"),
      () => good + ',',
      () => good.replace('}', ',}'),
      () => `{source: "x"}`,
      () => `{"a":1 /* c */}`,
      () => 'NaN',
      () => '\ufeff' + good,
      () => '\u0000',
      () => ' ',
      () => pick(TOKENS).repeat(int(100)),
      () => '{"a":"\\ud800"}',
      () => '{"a":"\\x41"}',
      () => '{"a":01}',
      () => '["' + 'y'.repeat(int(10_000)),
      () => '['.repeat(100_000),
      () => '{"a":'.repeat(40_000),
    ])();
  }
  if (r < 0.8) return jsonValue();
  if (r < 0.9) {
    // raw bytes, including invalid UTF-8
    return Buffer.from(Array.from({ length: int(300) }, () => int(256)));
  }
  return `{"source":${JSON.stringify(source())},"inputs":${chance(0.8) ? FIELDS['inputs']!() : jsonValue()}}`;
}

function pathParam(pattern: string): string {
  return pattern.replace(/:[^/]+/g, () => {
    const r = rand();
    if (r < 0.3) return pick(['fuzz-1', 'fuzz-2', '1', '0', '-1', '99999999999999999999', 'Uppercase', 'stdlib', 'stdlib.math', crypto.randomUUID()]);
    if (r < 0.4) return pick(['%zz', '%', '%00', '%2F', '%ED%A0%80', '%FF', '..', '.', '%2e%2e']);
    const s = oddString().slice(0, 3000);
    try {
      return encodeURIComponent(s) || 'x';
    } catch {
      // lone surrogates: encode the UTF-8 bytes Node would write
      return [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('') || 'x';
    }
  });
}

function randomPath(): string {
  const segs = Array.from({ length: int(6) }, () => pick(['pipelines', 'executions', 'modules', 'namespaces', 'health', 'metrics', 'api', 'v1', 'x', '', '..', '%zz', 'resume', 'canary', 'alias', encodeURIComponent(pick(ODD.filter((o) => !/[\ud800-\udfff]/.test(o))))]));
  let p = '/' + segs.join('/');
  if (chance(0.2)) p += '?' + pick(['a=1', 'limit=-1', 'x=%zz', '&&&', 'q=' + 'z'.repeat(int(5000))]);
  return p;
}

const headerValues = () =>
  pick([
    {},
    { 'content-type': pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', ';;;']) },
    { accept: pick(['text/plain', '*/*', 'text/*;q=0', 'garbage', '']) },
    { 'x-request-id': pick(['fuzz', 'x'.repeat(int(400)), 'a b', '\t', '""']) },
    { authorization: pick(['Bearer', 'Bearer x', 'Basic', 'x'.repeat(int(3000))]) },
    { 'content-encoding': 'gzip' },
    { expect: '100-continue' },
  ]) as Record<string, string>;

interface Outcome {
  readonly what: string;
  readonly status: number;
  readonly contentType: string | undefined;
  readonly text: string;
  readonly json: unknown;
  readonly method: string;
}

function check(o: Outcome, failures: string[]): void {
  const where = `[seed ${SEED}] ${o.what} → ${o.status} ${o.text.slice(0, 300)}`;
  if (o.status >= 500) failures.push(`5xx: ${where}`);
  if (o.method === 'HEAD') return;
  if (o.status >= 400 && o.status < 500) {
    if (!o.contentType?.startsWith('application/json')) failures.push(`4xx not JSON (${o.contentType}): ${where}`);
    else if (typeof o.json !== 'object' || o.json === null || !('error' in o.json || 'errors' in o.json)) failures.push(`4xx without error/errors: ${where}`);
  } else if (o.contentType?.startsWith('application/json') && o.json === undefined && o.text !== '') failures.push(`unparsable JSON: ${where}`);
}

function describeBody(b: string | Buffer | undefined): string {
  if (b === undefined) return '(no body)';
  const s = Buffer.isBuffer(b) ? `<${b.length} bytes>` : JSON.stringify(b.length > 200 ? `${b.slice(0, 200)}…(${b.length})` : b);
  return s;
}

describe(`HTTP fuzz of the real process (FUZZ_SEED=${SEED})`, () => {
  let srv: SpawnedServer;
  let routes: RouteEntry[];
  let died: string | undefined;
  const dataDir = tempDir();
  const env = {
    CONSTELLATION_PORT: '0',
    CONSTELLATION_HOST: '127.0.0.1',
    CONSTELLATION_DATA_DIR: dataDir,
    CONSTELLATION_WORKERS: '2',
    CONSTELLATION_MAX_BODY_SIZE: String(MAX_BODY),
    CONSTELLATION_MODULE_TIMEOUT: '1s',
    CONSTELLATION_EXECUTION_TIMEOUT: '3s',
    CONSTELLATION_HEALTH_DETAIL_ENABLED: 'true',
  };

  before(async () => {
    // the route table, read from an in-process server of the same build
    const probe = await startServer({ env: { CONSTELLATION_HEALTH_DETAIL_ENABLED: 'true' } });
    routes = serverRoutes(probe.server.context);
    await probe.close();
    srv = await spawnServer(env);
    void srv.exited.then((code) => (died = `server process exited (${code}) during the fuzz [seed ${SEED}]\nstderr: ${srv.stderr().slice(-3000)}`));
  });
  after(() => {
    srv?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('thousands of hostile requests: no 5xx, JSON errors, no crash', { timeout: 120_000 }, async (t) => {
    t.diagnostic(`FUZZ_SEED=${SEED}`);
    const bodyRoutes = routes.filter((r) => r.method !== 'GET' && r.method !== 'DELETE');
    const failures: string[] = [];
    let sent = 0;
    const started = performance.now();
    const statuses = new Map<number, number>();

    // the request list is generated up front from the seed, so a seed reproduces the same requests
    type Job = { method: string; path: string; headers: Record<string, string>; body?: string | Buffer; chunked: boolean };
    const jobs: Job[] = [];
    for (let i = 0; i < 3000; i++) {
      const r = rand();
      if (r < 0.6) {
        const route = pick(bodyRoutes);
        jobs.push({ method: route.method, path: pathParam(route.pattern), headers: headerValues(), body: body(), chunked: chance(0.15) });
      } else if (r < 0.8) {
        const route = pick(routes);
        const b = route.method === 'GET' ? undefined : body();
        jobs.push({ method: route.method, path: pathParam(route.pattern), headers: headerValues(), ...(b !== undefined ? { body: b } : {}), chunked: false });
      } else {
        const method = pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);
        const b = method === 'GET' || method === 'HEAD' ? undefined : chance(0.7) ? body() : undefined;
        jobs.push({ method, path: randomPath(), headers: chance(0.3) ? { origin: 'https://x.example', 'access-control-request-method': 'POST' } : headerValues(), ...(b !== undefined ? { body: b } : {}), chunked: chance(0.1) });
      }
    }

    let next = 0;
    const worker = async () => {
      while (next < jobs.length && performance.now() - started < BUDGET_MS && !died) {
        const job = jobs[next++]!;
        const what = `${job.method} ${job.path.slice(0, 200)} ${JSON.stringify(job.headers).slice(0, 200)} body ${describeBody(job.body)}${job.chunked ? ' (chunked)' : ''}`;
        let r: Reply;
        try {
          r = await request(srv.port, job.path, { method: job.method, headers: job.headers, ...(job.body !== undefined ? { body: job.body } : {}), chunked: job.chunked, timeoutMs: 15_000 });
        } catch (e) {
          failures.push(`[seed ${SEED}] no reply: ${what}: ${String(e)}`);
          continue;
        }
        sent++;
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        check({ what, status: r.status, contentType: r.headers['content-type'], text: r.text, json: r.json, method: job.method }, failures);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    t.diagnostic(`${sent} requests in ${(performance.now() - started).toFixed(0)} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    assert.equal(died, undefined, died);
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures (FUZZ_SEED=${SEED})`);
    assert.ok(sent >= 1000, `only ${sent} requests within the budget`);
  });

  test('bodies over the limit: 413 PayloadTooLarge with and without Content-Length', async () => {
    const big = `{"source":"${'z'.repeat(MAX_BODY)}"}`;
    for (const path of ['/compile', '/run', '/execute', '/pipelines/fuzz-1/reload', '/executions/x/resume', '/modules/Uppercase/invoke']) {
      for (const chunked of [false, true]) {
        const r = await request(srv.port, path, { method: 'POST', body: big, chunked });
        const where = `[seed ${SEED}] ${path} chunked=${chunked}: ${r.status} ${r.text.slice(0, 200)}`;
        if (['/compile', '/run', '/execute'].includes(path)) {
          assert.equal(r.status, 413, where);
          assert.equal(r.json.error, 'PayloadTooLarge', where);
          assert.match(r.json.message, new RegExp(`max ${MAX_BODY}`), where);
          assert.equal(r.json.requestId, r.headers['x-request-id']);
        } else {
          assert.ok(r.status < 500 && r.status >= 400, where);
          assert.ok('error' in r.json || 'errors' in r.json, where);
        }
      }
    }
    // exactly at the limit is accepted (as far as the size check goes)
    const atLimit = `{"source":"${'w'.repeat(MAX_BODY - 13)}"}`;
    assert.equal(Buffer.byteLength(atLimit), MAX_BODY);
    const ok = await request(srv.port, '/compile', { method: 'POST', body: atLimit });
    assert.notEqual(ok.status, 413, ok.text.slice(0, 200));
    assert.ok(ok.status < 500);
  });

  test('deep nesting and huge strings in every body field', async () => {
    const N = 100_000;
    const deepArr = '['.repeat(N) + ']'.repeat(N);
    const cases: [string, string][] = [
      ['/run', '['.repeat(N)],
      ['/run', deepArr],
      ['/compile', '{"source":' + deepArr + '}'],
      ['/run', '{"source":"in x: Int\\nout x\\n","inputs":{"x":' + deepArr + '}}'],
      ['/run', '{"source":"in x: List<List<Int>>\\nout x\\n","inputs":{"x":' + deepArr + '}}'],
      ['/execute', '{"ref":"fuzz-1","inputs":' + deepArr + '}'],
      ['/executions/x/resume', '{"additionalInputs":{"x":' + deepArr + '}}'],
      ['/modules/Uppercase/invoke', '{"text":' + deepArr + '}'],
      ['/pipelines/fuzz-1/reload', '{"canary":{"promotionSteps":' + deepArr + '}}'],
      ['/compile', JSON.stringify({ source: 'in x: Int\ny = ' + '('.repeat(N) + 'x' + ')'.repeat(N) + '\nout y\n' })],
      ['/compile', JSON.stringify({ source: 'in x: Int\ny = ' + '-'.repeat(N) + 'x\nout y\n' })],
      ['/compile', JSON.stringify({ source: 'x'.repeat(MAX_BODY - 20) })],
      ['/compile', JSON.stringify({ source: 'in x: Int\nout x\n', name: 'n'.repeat(100_000) })],
      ['/run', JSON.stringify({ source: 'in s: String\nout s\n', inputs: { s: '\ud800'.repeat(30_000) } })],
      ['/execute', JSON.stringify({ ref: 'r'.repeat(200_000) })],
    ];
    for (const [path, b] of cases) {
      const r = await request(srv.port, path, { method: 'POST', body: b, timeoutMs: 30_000 });
      const o: Outcome = { what: `${path} ${describeBody(b)}`, status: r.status, contentType: r.headers['content-type'], text: r.text, json: r.json, method: 'POST' };
      const failures: string[] = [];
      check(o, failures);
      assert.deepEqual(failures, []);
    }
  });

  test('odd unicode round-trips through names, sources and inputs', async () => {
    for (const name of ['名前', 'emoji-😀', 'rtl-\u202eabc', 'nul-\u0000-x', '__proto__', 'constructor', 'sp ace', 'a/b', '..']) {
      const c = await request(srv.port, '/compile', { method: 'POST', body: { source: 'in s: String\nout s\n', name } });
      assert.ok(c.status === 200 || c.status === 400, `[seed ${SEED}] compile name ${JSON.stringify(name)}: ${c.status} ${c.text}`);
      if (c.status !== 200) continue;
      const e = await request(srv.port, '/execute', { method: 'POST', body: { ref: name, inputs: { s: 'ok \u202e 😀 \u0000' } } });
      assert.equal(e.status, 200, `[seed ${SEED}] execute ${JSON.stringify(name)}: ${e.text}`);
      assert.deepEqual(e.json.outputs, { s: 'ok \u202e 😀 \u0000' });
      const g = await request(srv.port, `/pipelines/${encodeURIComponent(name)}`);
      assert.equal(g.status, 200, `[seed ${SEED}] GET /pipelines/${JSON.stringify(name)}: ${g.text}`);
    }
    // a lone surrogate in an input comes back as valid JSON
    const r = await request(srv.port, '/run', { method: 'POST', body: '{"source":"in s: String\\nout s\\n","inputs":{"s":"a\\ud800b"}}' });
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof r.json.outputs.s, 'string');
  });

  test('raw protocol abuse: odd bytes in headers, bad framing, odd methods — a JSON answer or none, never a crash', async () => {
    const port = srv.port;
    const cases: (string | Buffer)[] = [
      'FOO /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'get /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      Buffer.concat([Buffer.from('GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: '), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('\r\nConnection: close\r\n\r\n')]),
      Buffer.concat([Buffer.from('GET /nope HTTP/1.1\r\nHost: x\r\nX-Request-ID: \u202e😀\r\nAuthorization: Bearer \u0000\u00ff\r\nConnection: close\r\n\r\n', 'utf8')]),
      'GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\nConnection: close\r\n\r\n',
      'POST /run HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n{}',
      'POST /run HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}',
      'POST /run HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\nConnection: close\r\n\r\n{}',
      `POST /run HTTP/1.1\r\nHost: x\r\nContent-Length: ${MAX_BODY * 4}\r\nConnection: close\r\n\r\n{"source":`,
      'POST /run HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      'POST /run HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' + ('10000\r\n' + 'a'.repeat(0x10000) + '\r\n').repeat(5) + '0\r\n\r\n',
      'POST /run HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n{"so',
      'GET /' + 'a'.repeat(20_000) + ' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      Buffer.concat([Buffer.from('GET /executions/'), Buffer.from([0xed, 0xa0, 0x80, 0xff]), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]),
      Buffer.concat([Buffer.from('GET /pipelines/'), Buffer.from([0xc0, 0xaf]), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]),
      'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n' + 'x'.repeat(5000),
      'GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'b'.repeat(60_000) + '\r\nConnection: close\r\n\r\n',
      '\x00\x01\x02 garbage\r\n\r\n',
      'GET /health HTTP/1.1\r\n' + 'Host: x\r\n'.repeat(40) + 'Connection: close\r\n\r\n',
    ];
    const results = await Promise.all(
      cases.map((c) =>
        rawRequest(port, c, 1_500).then(
          (r) => ({ c, r, timedOut: false }),
          () => ({ c, r: undefined as RawReply | undefined, timedOut: true }),
        ),
      ),
    );
    const failures: string[] = [];
    for (const { c, r } of results) {
      if (!r) continue; // uWS refused the request at the protocol level (closed, or no reply): acceptable
      const method = c.toString('latin1').split(' ')[0]!;
      check({ what: `raw ${JSON.stringify(c.toString('latin1').slice(0, 120))}`, status: r.status, contentType: r.headers['content-type'], text: r.body, json: r.json, method }, failures);
    }
    assert.deepEqual(failures, []);
    assert.equal(died, undefined, died);
  });

  test('HEAD is answered like GET without a body, so a kept-alive connection stays in sync', async () => {
    // three pipelined requests on one connection, read to the end
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect({ host: '127.0.0.1', port: srv.port });
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', reject);
      socket.setTimeout(5_000, () => socket.destroy(new Error('timeout')));
      socket.write('HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nHEAD /no/such HTTP/1.1\r\nHost: x\r\n\r\nGET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    const replies = text.split(/(?=HTTP\/1\.1 )/);
    assert.equal(replies.length, 3, text);
    assert.match(replies[0]!, /^HTTP\/1\.1 200 /);
    assert.ok(replies[0]!.endsWith('\r\n\r\n'), `no body after the HEAD headers: ${JSON.stringify(replies[0])}`);
    assert.match(replies[1]!, /^HTTP\/1\.1 404 /);
    assert.ok(replies[1]!.endsWith('\r\n\r\n'), JSON.stringify(replies[1]));
    assert.match(replies[2]!, /^HTTP\/1\.1 200 [\s\S]*\{"status":"alive"\}$/);
  });

  test('afterwards: healthy, no error logged, SIGTERM exits 0, and the data directory restarts cleanly', async () => {
    const h = await request(srv.port, '/health');
    assert.equal(h.status, 200);
    const d = await request(srv.port, '/health/detail');
    assert.equal(d.status, 200);
    assert.equal(d.json.lifecycle.inflightExecutions ?? 0, 0, 'no execution leaked');
    // aborted, half-sent and refused requests all left the in-flight count (else the drain would hang)
    assert.equal(d.json.lifecycle.inflightRequests, 1, 'only this request is in flight');
    const errors = srv
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; message: string })
      .filter((l) => l.level === 'ERROR' || l.level === 'FATAL');
    assert.deepEqual(errors, [], `[seed ${SEED}] error logs`);
    const t0 = performance.now();
    srv.child.kill('SIGTERM');
    assert.equal(await srv.exited, 0, srv.stderr());
    assert.ok(performance.now() - t0 < 5_000, 'the drain found nothing in flight');
    assert.equal(srv.stderr().trim(), '', 'nothing on stderr');
    // whatever names the fuzz stored, the next process loads them
    const again = await spawnServer(env);
    try {
      assert.equal((await request(again.port, '/health')).status, 200);
      const list = await request(again.port, '/pipelines');
      assert.equal(list.status, 200, list.text.slice(0, 300));
      const warnings = again.stdout().split('\n').filter((l) => l.includes('corrupt'));
      assert.deepEqual(warnings, [], 'the stores written by the fuzzed server load without complaint');
    } finally {
      again.child.kill('SIGTERM');
      assert.equal(await again.exited, 0);
    }
  });
});
