import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { post, request, serverProcesses, sleep, type SpawnedServer } from '../helpers/http.js';

/**
 * The lifecycle of anonymous images, in the real server process (issue 9, item 1: every distinct
 * `/run` source used to be kept for ever, in memory and on disk, and all of it read at start-up).
 * Past the count bound the least recently used unpinned images go and their `sha256:` refs answer
 * 404; aliased, versioned and suspended-on images stay; the log and /metrics say when the bound
 * bites; a restart reads no anonymous image (a damaged one is found when first asked for); and
 * the age bound takes what nobody used.
 */

const SUSPENDS = 'in a: Int\nin b: Int\nc = a * 3\nd = c + b\nout c\nout d';
const anonymous = (i: number) => `in x: Int\ny = x * 7 + ${i}\nout y`;

describe('anonymous images in the real server process', () => {
  const { dataDir, start, stop } = serverProcesses();
  const imageFiles = () => readdirSync(join(dataDir, 'pipelines', 'images')).filter((f) => f.endsWith('.json'));
  const anonymousStats = async (s: SpawnedServer) => (await request(s.port, '/metrics')).json.stores.anonymousImages as { count: number; evictedTotal: number };
  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  test('bounded by count: the least recently used unpinned images go and answer 404; pinned ones stay; a restart reads none; age takes the unused', async () => {
    const s = await start({ CONSTELLATION_ANON_IMAGES_MAX_COUNT: '5' });
    // pinned: an alias with two versions (the first is pinned by its version), a stored suspension
    const v1 = await post(s, '/compile', { source: anonymous(1000), name: 'kept' });
    const v2 = await post(s, '/compile', { source: anonymous(1001), name: 'kept' });
    assert.equal(v2.status, 200, v2.text);
    const suspended = await post(s, '/run', { source: SUSPENDS, inputs: { a: 2 } });
    assert.equal(suspended.json.status, 'suspended', suspended.text);
    const hashes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await post(s, '/run', { source: anonymous(i), inputs: { x: 1 } });
      assert.equal(r.status, 200, r.text);
      hashes.push(r.json.structuralHash);
      // the first one stays in use: it is the most recently used when the bound bites
      if (i > 0) assert.equal((await post(s, '/execute', { ref: `sha256:${hashes[0]}`, inputs: { x: 1 } })).status, 200);
    }
    await until('the eviction sweep', async () => (await anonymousStats(s)).count <= 5);

    const evicted = await post(s, '/execute', { ref: `sha256:${hashes[1]}`, inputs: { x: 1 } });
    assert.equal(evicted.status, 404, evicted.text);
    assert.equal(evicted.json.error, 'NotFound');
    assert.equal((await post(s, '/execute', { ref: `sha256:${hashes[0]}`, inputs: { x: 1 } })).status, 200, 'used recently: kept');
    assert.equal((await post(s, '/execute', { ref: `sha256:${hashes[19]}`, inputs: { x: 1 } })).json.outputs.y, 7 + 19);
    assert.equal((await post(s, '/execute', { ref: 'kept', inputs: { x: 1 } })).json.outputs.y, 7 + 1001);
    assert.equal((await post(s, '/execute', { ref: `sha256:${v1.json.structuralHash}`, inputs: { x: 1 } })).json.outputs.y, 7 + 1000, 'a recorded version stays');
    // the suspended run's image stayed: the resume finds it
    const resumed = await post(s, `/executions/${suspended.json.executionId}/resume`, { additionalInputs: { b: 1 } });
    assert.equal(resumed.json.status, 'completed', resumed.text);
    assert.deepEqual(resumed.json.outputs, { c: 6, d: 7 });
    // disk: the two versions, and at most the bound of anonymous images (the suspended run's among them)
    assert.ok(imageFiles().length <= 2 + 5, `images on disk: ${imageFiles().length}`);
    const stats = await anonymousStats(s);
    assert.ok(stats.evictedTotal >= 15, JSON.stringify(stats));
    const prometheus = (await request(s.port, '/metrics', { headers: { accept: 'text/plain' } })).text;
    assert.match(prometheus, /^constellation_anonymous_images_evicted_total\{reason="count"\} \d+$/m);
    assert.match(prometheus, /^constellation_anonymous_images [0-5]$/m);
    assert.match(s.stdout(), /anonymous images: \d+ evicted/);
    await stop(s);

    // a restart reads the summaries, not the anonymous images: damage is found when one is asked for
    const damaged = hashes[19]!;
    const damagedFile = join(dataDir, 'pipelines', 'images', `${damaged}.json`);
    writeFileSync(damagedFile, '{"formatVersion": 1, "trunc');
    const again = await start({ CONSTELLATION_ANON_IMAGES_MAX_COUNT: '5', CONSTELLATION_ANON_IMAGES_MAX_AGE: '2s' });
    assert.doesNotMatch(again.stdout(), /corrupt/, 'no anonymous image was read at start-up');
    const listed = (await request(again.port, '/pipelines')).json.pipelines.map((p: { structuralHash: string }) => p.structuralHash);
    assert.ok(listed.includes(damaged), 'listed from its summary');
    const read = await post(again, '/execute', { ref: `sha256:${damaged}`, inputs: { x: 1 } });
    assert.equal(read.status, 404, read.text);
    await until('the log line of the damaged image', async () => again.stdout().includes(`corrupt store file ${damagedFile}`));
    const quarantined = readdirSync(join(dataDir, 'quarantine', 'pipelines', 'images'));
    assert.equal(quarantined.length, 1);
    assert.equal(readFileSync(join(dataDir, 'quarantine', 'pipelines', 'images', quarantined[0]!), 'utf8'), '{"formatVersion": 1, "trunc', 'kept as it was');

    // nobody uses the anonymous images any more: the age bound takes them; the names stay
    await until('eviction by age', async () => (await anonymousStats(again)).count === 0);
    assert.equal((await post(again, '/execute', { ref: `sha256:${hashes[0]}`, inputs: { x: 1 } })).status, 404);
    assert.equal((await post(again, '/execute', { ref: 'kept', inputs: { x: 2 } })).json.outputs.y, 14 + 1001);
    assert.match((await request(again.port, '/metrics', { headers: { accept: 'text/plain' } })).text, /^constellation_anonymous_images_evicted_total\{reason="age"\} [1-9]\d*$/m);
    await stop(again);
  });
});
