import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, loadConfig, parseDuration } from '../../server/config.js';
import { API_KEYS_ENV, baseEnv, request, runMain, spawnServer, tempDir } from '../helpers/http.js';

/**
 * Configuration (docs/decisions.md #22): a bad CONSTELLATION_* value stops
 * `node dist/server/main.js` with exit code 2 and a message naming the variable (never a
 * key); valid values parse; durations accept `15s`, `500ms`, `2m` and bare seconds.
 */

const dataDir = tempDir();
after(() => rmSync(dataDir, { recursive: true, force: true }));

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `not a ConfigError: ${String(e)}`);
    return e;
  }
  assert.fail(`accepted ${JSON.stringify(env)}`);
}

describe('main.js refuses bad configuration', () => {
  const bad: [string, string][] = [
    ['CONSTELLATION_PORT', 'abc'],
    ['CONSTELLATION_RATE_LIMIT_RPM', '-5'],
    ['CONSTELLATION_DRAIN_TIMEOUT', 'soon'],
    ['CONSTELLATION_LOG_LEVEL', 'loud'],
    ['CONSTELLATION_WORKERS', '0'],
    ['CONSTELLATION_SCHEDULER_ENABLED', 'maybe'],
  ]; // (one process each costs a full module load: the rest is covered by the loadConfig unit tests)

  test('each bad value: exit code 2, the variable named on stderr, nothing listening', async () => {
    const results = await Promise.all(bad.map(([name, value]) => runMain({ ...baseEnv(dataDir, { CONSTELLATION_LOG_LEVEL: 'info' }), [name]: value }).then((r) => ({ name, value, ...r }))));
    for (const r of results) {
      const where = `${r.name}=${r.value}: code ${r.code}, stderr ${r.stderr}`;
      assert.equal(r.code, 2, where);
      assert.match(r.stderr, new RegExp(r.name), where);
      assert.ok(!r.stdout.includes('listening'), where);
    }
  });

  test('several problems are reported together; API key text is never printed', async () => {
    const secret = 'super-secret-key-value-0123456789';
    const r = await runMain({ ...baseEnv(dataDir), CONSTELLATION_PORT: 'abc', CONSTELLATION_RATE_LIMIT_RPM: '-1', CONSTELLATION_API_KEYS: `${secret}:Admin`, CONSTELLATION_LOG_LEVEL: 'loud' });
    assert.equal(r.code, 2, r.stderr);
    for (const name of ['CONSTELLATION_PORT', 'CONSTELLATION_RATE_LIMIT_RPM', 'CONSTELLATION_LOG_LEVEL']) assert.match(r.stderr, new RegExp(name));
    assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret));
  });

  test('a start-up failure after parsing (port in use) exits non-zero with a message', async () => {
    const first = await spawnServer(baseEnv(dataDir, { CONSTELLATION_LOG_LEVEL: 'info' }));
    try {
      const r = await runMain({ ...baseEnv(join(dataDir, 'second'), { CONSTELLATION_LOG_LEVEL: 'silent' }), CONSTELLATION_PORT: String(first.port) });
      assert.notEqual(r.code, 0, r.stderr);
      assert.match(r.stderr, /cannot start/);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });

  test('valid configuration starts; the summary line names the features and never a key', async () => {
    const srv = await spawnServer({ ...baseEnv(dataDir), CONSTELLATION_API_KEYS: `${API_KEYS_ENV},tooshort:Admin`, CONSTELLATION_CORS_ORIGINS: 'https://a.example,ftp://bad', CONSTELLATION_RATE_LIMIT_RPM: '100', CONSTELLATION_DRAIN_TIMEOUT: '2s', CONSTELLATION_LOG_LEVEL: 'info' });
    try {
      assert.equal((await request(srv.port, '/health')).status, 200);
    } finally {
      srv.child.kill('SIGTERM');
      assert.equal(await srv.exited, 0);
    }
    const lines = srv.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines.find((l) => String(l['message']).includes('listening'))!;
    assert.equal(summary['auth'], '3 keys');
    assert.equal(summary['cors'], '1 origins');
    assert.equal(summary['rateLimit'], '100rpm');
    const warnings = lines.filter((l) => l['level'] === 'WARN').map((l) => String(l['message']));
    assert.ok(warnings.some((w) => /CONSTELLATION_API_KEYS entry #4 rejected/.test(w)), warnings.join('\n'));
    assert.ok(warnings.some((w) => /CONSTELLATION_CORS_ORIGINS entry #2 rejected/.test(w)), warnings.join('\n'));
    const all = srv.stdout() + srv.stderr();
    for (const k of API_KEYS_ENV.split(',').map((e) => e.split(':')[0]!)) assert.ok(!all.includes(k), 'a key was printed');
    assert.ok(!all.includes('tooshort') && !all.includes('ftp://bad'), 'a rejected entry was printed');
  });
});

describe('loadConfig (unit)', () => {
  test('defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.host, '0.0.0.0');
    assert.deepEqual(c.apiKeys, []);
    assert.deepEqual(c.corsOrigins, []);
    assert.equal(c.rateLimit, null);
    assert.equal(c.trustProxy, false);
    assert.deepEqual(c.scheduler, { enabled: false, maxConcurrency: 16, starvationTimeoutMs: 30_000, maxQueue: 0 });
    assert.equal(c.logLevel, 'info');
    assert.equal(c.drainTimeoutMs, 30_000);
    assert.equal(c.healthDetailEnabled, false);
    assert.equal(c.maxBodyBytes, 10 * 1024 * 1024);
    assert.equal(c.pipelineAliasStrategy, 'filename');
    assert.deepEqual(c.warnings, []);
  });

  test('valid values parse', () => {
    const c = loadConfig({
      CONSTELLATION_PORT: ' 9000 ',
      CONSTELLATION_HOST: '127.0.0.1',
      CONSTELLATION_API_KEYS: ` ${API_KEYS_ENV.replace(':Admin', ': ADMIN ')} ,, `,
      CONSTELLATION_CORS_ORIGINS: 'https://a.example/, http://localhost:5173 ,http://127.0.0.1:8080,http://[::1]:3000',
      CONSTELLATION_RATE_LIMIT_RPM: '30',
      CONSTELLATION_RATE_LIMIT_BURST: '5',
      CONSTELLATION_TRUST_PROXY: 'YES',
      CONSTELLATION_SCHEDULER_ENABLED: '1',
      CONSTELLATION_SCHEDULER_MAX_CONCURRENCY: '4',
      CONSTELLATION_SCHEDULER_STARVATION_TIMEOUT: '2m',
      CONSTELLATION_SCHEDULER_MAX_QUEUE: '0',
      CONSTELLATION_LOG_LEVEL: 'WARN',
      CONSTELLATION_LOG_FORMAT: 'JSON',
      CONSTELLATION_DRAIN_TIMEOUT: '500ms',
      CONSTELLATION_HEALTH_DETAIL_ENABLED: 'true',
      CONSTELLATION_MODULES: '/a.js, /b.js',
      CONSTELLATION_PIPELINE_ALIAS_STRATEGY: 'Relative-Path',
      CONSTELLATION_MAX_BODY_SIZE: '2048',
      CONSTELLATION_WORKERS: '3',
      CONSTELLATION_MODULE_TIMEOUT: '15',
      CONSTELLATION_EXECUTION_TIMEOUT: '1h',
    });
    assert.equal(c.port, 9000);
    assert.equal(c.apiKeys.length, 3);
    assert.deepEqual(c.apiKeys.map((k) => k.role), ['Admin', 'Execute', 'ReadOnly']);
    for (const k of c.apiKeys) assert.equal(k.digest.length, 32, 'kept as a SHA-256 digest');
    assert.deepEqual(c.corsOrigins, ['https://a.example', 'http://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:3000']);
    assert.deepEqual(c.rateLimit, { rpm: 30, burst: 5, keyRpm: 200, keyBurst: 40 });
    assert.equal(c.trustProxy, true);
    assert.deepEqual(c.scheduler, { enabled: true, maxConcurrency: 4, starvationTimeoutMs: 120_000, maxQueue: 0 });
    assert.equal(c.logLevel, 'warn');
    assert.equal(c.logFormat, 'json');
    assert.equal(c.drainTimeoutMs, 500);
    assert.equal(c.healthDetailEnabled, true);
    assert.deepEqual(c.moduleFiles, ['/a.js', '/b.js']);
    assert.equal(c.pipelineAliasStrategy, 'relativepath');
    assert.equal(c.maxBodyBytes, 2048);
    assert.equal(c.workers, 3);
    assert.equal(c.moduleTimeoutMs, 15_000);
    assert.equal(c.executionTimeoutMs, 3_600_000);
    assert.deepEqual(c.warnings, []);
  });

  test('an empty variable counts as unset', () => {
    const c = loadConfig({ CONSTELLATION_PORT: '', CONSTELLATION_RATE_LIMIT_RPM: '' });
    assert.equal(c.port, 8080);
    assert.equal(c.rateLimit, null);
  });

  test('bad values name their variable', () => {
    const cases: [string, string][] = [
      ['CONSTELLATION_PORT', 'abc'],
      ['CONSTELLATION_PORT', '-1'],
      ['CONSTELLATION_RATE_LIMIT_RPM', '-5'],
      ['CONSTELLATION_RATE_LIMIT_RPM', '0'],
      ['CONSTELLATION_RATE_LIMIT_BURST', '2.5'],
      ['CONSTELLATION_DRAIN_TIMEOUT', 'soon'],
      ['CONSTELLATION_DRAIN_TIMEOUT', '-5s'],
      ['CONSTELLATION_SCHEDULER_STARVATION_TIMEOUT', '5 fortnights'],
      ['CONSTELLATION_LOG_LEVEL', 'loud'],
      ['CONSTELLATION_LOG_FORMAT', 'xml'],
      ['CONSTELLATION_WORKERS', '0'],
      ['CONSTELLATION_SCHEDULER_MAX_CONCURRENCY', '0'],
      ['CONSTELLATION_SCHEDULER_MAX_QUEUE', '-1'],
      ['CONSTELLATION_HEALTH_DETAIL_ENABLED', 'sure'],
      ['CONSTELLATION_PIPELINE_ALIAS_STRATEGY', 'random'],
      ['CONSTELLATION_MAX_BODY_SIZE', '10MB'],
    ];
    for (const [name, value] of cases) {
      const e = configError({ [name]: value });
      assert.equal(e.problems.length, 1, `${name}=${value}: ${e.message}`);
      assert.ok(e.problems[0]!.startsWith(`${name}:`), `${name}=${value}: ${e.message}`);
    }
  });

  test('every problem is listed at once', () => {
    const e = configError({ CONSTELLATION_PORT: 'x', CONSTELLATION_WORKERS: '0', CONSTELLATION_RATE_LIMIT_BURST: '-1' });
    assert.equal(e.problems.length, 3, e.message);
  });

  test('invalid key and origin entries are skipped with a warning naming only the position', () => {
    const secret = 'abc';
    const c = loadConfig({
      CONSTELLATION_API_KEYS: `${secret}:Admin,valid-key-0123456789abcdefgh:Execute,valid-key-with-bad-role-0123456789:Root,nocolon0123456789012345678901,ctrl\u0001key-0123456789abcdefghij:Admin`,
      CONSTELLATION_CORS_ORIGINS: 'https://ok.example,http://public.example,not a url,https://ok.example/path,file:///x',
    });
    assert.equal(c.apiKeys.length, 1);
    assert.deepEqual(c.corsOrigins, ['https://ok.example']);
    const positions = c.warnings.map((w) => /^(CONSTELLATION_\w+) entry #(\d+) rejected/.exec(w)?.slice(1).join(' '));
    assert.deepEqual(positions, [
      'CONSTELLATION_API_KEYS 1',
      'CONSTELLATION_API_KEYS 3',
      'CONSTELLATION_API_KEYS 4',
      'CONSTELLATION_API_KEYS 5',
      'CONSTELLATION_CORS_ORIGINS 2',
      'CONSTELLATION_CORS_ORIGINS 3',
      'CONSTELLATION_CORS_ORIGINS 4',
      'CONSTELLATION_CORS_ORIGINS 5',
    ]);
    const text = c.warnings.join('\n');
    for (const leaked of ['valid-key', 'nocolon', 'ctrl', 'public.example', 'not a url', 'file:']) assert.ok(!text.includes(leaked), `${leaked} in ${text}`);
  });

  test('a key is split at its first colon; roles are case-insensitive', () => {
    const c = loadConfig({ CONSTELLATION_API_KEYS: 'key-with-24-chars-exactl:readonly,key-with-24-chars-exact2:eXeCuTe' });
    assert.deepEqual(c.apiKeys.map((k) => k.role), ['ReadOnly', 'Execute']);
    const short = loadConfig({ CONSTELLATION_API_KEYS: 'key-with-23-chars-exact:Admin' });
    assert.equal(short.apiKeys.length, 0);
  });

  test('durations', () => {
    assert.equal(parseDuration('15s'), 15_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('2min'), 120_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('30'), 30_000);
    assert.equal(parseDuration('1.5s'), 1_500);
    assert.equal(parseDuration('10S'), 10_000);
    assert.equal(parseDuration('7d'), 7 * 86_400_000);
    for (const bad of ['soon', '', 's', '-1s', '1w', '1 s s', 'NaN']) assert.equal(parseDuration(bad), undefined, bad);
  });
});
