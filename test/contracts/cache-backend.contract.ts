import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CacheBackend } from '../../runtime/engine/spi.js';
import { sleep, withSubject, type Subject } from './fixtures.js';

/**
 * The CacheBackend contract: values read back until their TTL, and invalidation by key, by
 * module and of everything, answering how many entries went. Every call is awaited, so sync
 * (in-memory) and async (network) backends run the same suite.
 */
export function cacheBackendContract(name: string, open: () => Promise<Subject<CacheBackend>>): void {
  describe(`CacheBackend contract: ${name}`, () => {
    const withCache = (body: (cache: CacheBackend) => Promise<void>) => withSubject(open, (subject) => body(subject.store));

    test('a value reads back until its TTL passes; unknown keys miss', () =>
      withCache(async (cache) => {
        await cache.set('k1', { answer: 42n }, 60_000, 'M');
        const hit = await cache.get('k1');
        assert.deepEqual(hit?.value, { answer: 42n });
        assert.ok(hit!.expiresAt > hit!.createdAt);
        assert.equal(await cache.get('nope'), undefined);
        await cache.set('short', 'v', 20, 'M');
        await sleep(50);
        assert.equal(await cache.get('short'), undefined);
      }));

    test('invalidate one key', () =>
      withCache(async (cache) => {
        await cache.set('a', 1, 60_000, 'M');
        await cache.set('b', 2, 60_000, 'M');
        assert.equal(await cache.invalidate({ key: 'a' }), 1);
        assert.equal(await cache.invalidate({ key: 'a' }), 0);
        assert.equal(await cache.get('a'), undefined);
        assert.equal((await cache.get('b'))?.value, 2);
      }));

    test('invalidate one module: its entries go, other modules stay', () =>
      withCache(async (cache) => {
        await cache.set('m1', 1, 60_000, 'Geocode');
        await cache.set('m2', 2, 60_000, 'Geocode');
        await cache.set('o1', 3, 60_000, 'Pricing');
        assert.equal(await cache.invalidate({ module: 'Geocode' }), 2);
        assert.equal(await cache.get('m1'), undefined);
        assert.equal(await cache.get('m2'), undefined);
        assert.equal((await cache.get('o1'))?.value, 3);
        assert.equal(await cache.invalidate({ module: 'Unknown' }), 0);
      }));

    test('a key rewritten under another module follows it', () =>
      withCache(async (cache) => {
        await cache.set('k', 1, 60_000, 'Old');
        await cache.set('k', 2, 60_000, 'New');
        assert.equal(await cache.invalidate({ module: 'Old' }), 0);
        assert.equal(await cache.invalidate({ module: 'New' }), 1);
      }));

    test('invalidate everything; stats count hits and misses', () =>
      withCache(async (cache) => {
        await cache.set('x', 1, 60_000, 'A');
        await cache.set('y', 2, 60_000, 'B');
        await cache.get('x');
        await cache.get('missing');
        const before = cache.stats();
        assert.ok(before.hits >= 1 && before.misses >= 1);
        assert.equal(await cache.invalidate('all'), 2);
        assert.equal(await cache.get('x'), undefined);
        assert.equal(cache.stats().size, 0);
      }));
  });
}
