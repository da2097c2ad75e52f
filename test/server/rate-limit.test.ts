import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../server/config.js';
import { TokenBuckets } from '../../server/rate-limit.js';
import { API_KEYS_ENV, baseEnv, KEYS, request, sleep, type Reply } from '../helpers/http.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * Rate limiting (docs/decisions.md #18): on when RPM or BURST is set; a token
 * bucket per client address (capacity = burst, continuous refill) and, when a bearer token is
 * present, a second bucket per token (200 rpm / burst 40) — both must grant. 429
 * RateLimitExceeded with an integer Retry-After ≥ 1; health and metrics exempt.
 *
 * Each test talks from its own loopback address (127.0.0.x) so the per-address buckets of
 * different tests never interfere.
 */

const EXEMPT = ['/health', '/health/live', '/health/ready', '/metrics'];

function assert429(r: Reply, where: string): void {
  assert.equal(r.status, 429, `${where}: ${r.status} ${r.text}`);
  assert.equal(r.json.error, 'RateLimitExceeded');
  assert.equal(r.json.message, 'Too many requests, please try again later');
  assert.equal(r.json.requestId, r.headers['x-request-id']);
  const retry = String(r.headers['retry-after']);
  assert.match(retry, /^\d+$/, `Retry-After must be an integer, got ${retry}`);
  assert.ok(Number(retry) >= 1, `Retry-After ${retry}`);
}

describe('rate limiting: small per-address bucket (120 rpm, burst 3)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ env: { CONSTELLATION_RATE_LIMIT_RPM: '120', CONSTELLATION_RATE_LIMIT_BURST: '3', CONSTELLATION_API_KEYS: API_KEYS_ENV } });
  });
  after(async () => {
    await srv.close();
  });
  const from = (localAddress: string, path = '/pipelines', headers: Record<string, string> = {}) => request(srv.port, path, { localAddress, headers });

  test('burst + 1 requests: the last is 429 with Retry-After (unauthenticated traffic spends the address budget)', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await from('127.0.0.11');
      assert.equal(r.status, 401, `request ${i + 1} is limited only by auth`);
    }
    assert429(await from('127.0.0.11'), 'request 4');
    // Retry-After for 120 rpm: one token every 0.5 s → 1
    assert.equal((await from('127.0.0.11')).headers['retry-after'], '1');
  });

  test('health and metrics are exempt', async () => {
    for (let i = 0; i < 4; i++) await from('127.0.0.12');
    assert429(await from('127.0.0.12'), 'exhausted');
    for (let round = 0; round < 3; round++) {
      for (const path of EXEMPT) {
        const r = await from('127.0.0.12', path);
        assert.equal(r.status, 200, `${path} while exhausted: ${r.status}`);
      }
    }
  });

  test('buckets are per address', async () => {
    for (let i = 0; i < 3; i++) await from('127.0.0.13');
    assert429(await from('127.0.0.13'), 'first address exhausted');
    const other = await from('127.0.0.14');
    assert.equal(other.status, 401, 'another address has its own bucket');
  });

  test('random bearer tokens do not escape the address bucket', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await from('127.0.0.15', '/pipelines', { authorization: `Bearer random-token-${i}-0123456789abcdef` });
      assert.equal(r.status, 401);
    }
    assert429(await from('127.0.0.15', '/pipelines', { authorization: 'Bearer random-token-x-0123456789abcdef' }), 'fresh token, same address');
    assert429(await from('127.0.0.15', '/pipelines', { authorization: `Bearer ${KEYS.admin}` }), 'a valid key, same address');
  });

  test('X-Forwarded-For is not trusted by default', async () => {
    for (let i = 0; i < 3; i++) await request(srv.port, '/pipelines', { localAddress: '127.0.0.16', headers: { 'x-forwarded-for': `10.0.0.${i}` } });
    assert429(await request(srv.port, '/pipelines', { localAddress: '127.0.0.16', headers: { 'x-forwarded-for': '10.0.0.99' } }), 'spoofed XFF');
  });

  test('tokens refill over time', async () => {
    /** Requests until the first 429: how many passed. */
    const passesUntilLimited = async () => {
      for (let passed = 0; passed < 10; passed++) {
        const r = await from('127.0.0.17');
        if (r.status === 429) return passed;
        assert.equal(r.status, 401);
      }
      return 10;
    };
    assert.equal(await passesUntilLimited(), 3, 'a new bucket holds the burst');
    await sleep(650); // 2 tokens/s: one token after 0.5 s
    const back = await passesUntilLimited();
    // one token (two only if this machine stalled for another half second)
    assert.ok(back >= 1 && back <= 2, `${back} requests passed after 650 ms`);
    await sleep(1_600); // long enough to refill completely: capacity is the burst, not more
    const refilled = await passesUntilLimited();
    assert.ok(refilled >= 3 && refilled <= 4, `${refilled} requests passed after a full refill (burst 3)`);
  });
});

describe('rate limiting: per-key buckets (address burst 100, key burst 40)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ env: { CONSTELLATION_RATE_LIMIT_RPM: '6000', CONSTELLATION_RATE_LIMIT_BURST: '100', CONSTELLATION_API_KEYS: API_KEYS_ENV } });
  });
  after(async () => {
    await srv.close();
  });

  test('a key has its own bucket: the 41st request with it is 429, other keys and keyless callers go on', async () => {
    const as = (key: string | undefined) => request(srv.port, '/pipelines', { localAddress: '127.0.0.21', headers: key ? { authorization: `Bearer ${key}` } : {} });
    let limitedAt = -1;
    // key refill is 200 rpm (one token per 0.3 s): a fast loop of 45 crosses 40 with at most a token or two back
    for (let i = 0; i < 45; i++) {
      const r = await as(KEYS.readonly);
      assert.ok(r.status !== 401 && r.status !== 403, `readonly key: ${r.status}`);
      if (r.status === 429) {
        limitedAt = i + 1;
        assert429(r, 'key bucket');
        break;
      }
    }
    assert.ok(limitedAt >= 41 && limitedAt <= 45, `limited at request ${limitedAt}`);
    const other = await as(KEYS.admin);
    assert.notEqual(other.status, 429, 'another key has its own bucket');
    const keyless = await as(undefined);
    assert.equal(keyless.status, 401, 'a keyless caller from the same address is not affected');
    // the same key from another address is still limited: the bucket follows the key
    const moved = await request(srv.port, '/pipelines', { localAddress: '127.0.0.22', headers: { authorization: `Bearer ${KEYS.readonly}` } });
    assert429(moved, 'same key, other address');
  });
});

describe('rate limiting: trusted proxy', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ env: { CONSTELLATION_RATE_LIMIT_BURST: '2', CONSTELLATION_TRUST_PROXY: 'true' } });
  });
  after(async () => {
    await srv.close();
  });

  test('with CONSTELLATION_TRUST_PROXY the first X-Forwarded-For address is the client', async () => {
    const via = (xff: string) => request(srv.port, '/pipelines', { localAddress: '127.0.0.31', headers: { 'x-forwarded-for': xff } });
    assert.notEqual((await via('10.1.0.1')).status, 429);
    assert.notEqual((await via('10.1.0.1, 127.0.0.31')).status, 429);
    assert429(await via('10.1.0.1'), 'client 10.1.0.1 exhausted');
    assert.notEqual((await via('10.1.0.2')).status, 429, 'another client behind the proxy');
  });
});

describe('rate limiting: off', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ env: { CONSTELLATION_API_KEYS: API_KEYS_ENV } });
  });
  after(async () => {
    await srv.close();
  });

  test('no RPM/BURST variable: no limit at all', async () => {
    const results = await Promise.all(Array.from({ length: 150 }, () => request(srv.port, '/pipelines')));
    assert.deepEqual([...new Set(results.map((r) => r.status))], [401]);
  });

  test('activation follows the variables (docs/decisions.md #18)', () => {
    const dir = 'unused-data-dir'; // loadConfig does not touch it
    assert.equal(loadConfig(baseEnv(dir)).rateLimit, null);
    assert.deepEqual(loadConfig(baseEnv(dir, { CONSTELLATION_RATE_LIMIT_BURST: '5' })).rateLimit, { rpm: 100, burst: 5, keyRpm: 200, keyBurst: 40 });
    assert.deepEqual(loadConfig(baseEnv(dir, { CONSTELLATION_RATE_LIMIT_RPM: '30' })).rateLimit, { rpm: 30, burst: 20, keyRpm: 200, keyBurst: 40 });
  });
});

describe('TokenBuckets (unit, virtual clock)', () => {
  test('capacity = burst, continuous refill at rpm/60 per second, wait rounded up to whole seconds', () => {
    let now = 0;
    const b = new TokenBuckets(6, 2, () => now); // one token per 10 s
    assert.equal(b.take('a'), 0);
    assert.equal(b.take('a'), 0);
    assert.equal(b.take('a'), 10);
    now += 4_000;
    assert.equal(b.take('a'), 6);
    now += 6_000;
    assert.equal(b.take('a'), 0);
    now += 1_000_000;
    assert.equal(b.take('a'), 0);
    assert.equal(b.take('a'), 0);
    assert.ok(b.take('a') > 0, 'never more than the burst');
    assert.equal(b.take('b'), 0, 'a new bucket starts full');
  });

  test('idle buckets are evicted', () => {
    let now = 0;
    const b = new TokenBuckets(60, 1, () => now);
    for (let i = 0; i < 1000; i++) b.take(`k${i}`);
    assert.equal(b.size, 1000);
    now += 120_000;
    b.take('fresh');
    assert.equal(b.size, 1);
  });
});
