import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { request, spawnServer, tempDir, type SpawnedServer } from '../helpers/http.js';

/**
 * Persistence across real processes (persistence-routes.test.ts covers the stores in depth with
 * in-process servers): `node dist/server/main.js` compiles with a name and suspends a run, is
 * stopped with SIGTERM, and a second process on the same CONSTELLATION_DATA_DIR executes by alias
 * and resumes the suspension.
 */

describe('restart of the real process on the same data directory', () => {
  const dataDir = tempDir();
  const env = { CONSTELLATION_PORT: '0', CONSTELLATION_HOST: '127.0.0.1', CONSTELLATION_DATA_DIR: dataDir, CONSTELLATION_WORKERS: '1' };
  const spawned: SpawnedServer[] = [];
  after(() => {
    for (const s of spawned) s.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function stop(s: SpawnedServer): Promise<void> {
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0, s.stderr());
  }

  test('compile with a name and suspend in one process; execute by alias and resume in the next', async () => {
    const source = 'in a: Int\nin b: Int\nsum = a + b\nout sum\n';
    const first = await spawnServer(env);
    spawned.push(first);
    const c = await request(first.port, '/compile', { method: 'POST', body: { source, name: 'adder' } });
    assert.equal(c.status, 200, c.text);
    const hash = c.json.structuralHash as string;
    const s = await request(first.port, '/execute', { method: 'POST', body: { ref: 'adder', inputs: { a: 40 } } });
    assert.equal(s.json.status, 'suspended', s.text);
    const suspendedId = s.json.executionId as string;
    await stop(first);

    const second = await spawnServer(env);
    spawned.push(second);
    const byAlias = await request(second.port, '/execute', { method: 'POST', body: { ref: 'adder', inputs: { a: 20, b: 22 } } });
    assert.equal(byAlias.status, 200, byAlias.text);
    assert.deepEqual(byAlias.json.outputs, { sum: 42 });
    const byHash = await request(second.port, '/execute', { method: 'POST', body: { ref: `sha256:${hash}`, inputs: { a: 1, b: 1 } } });
    assert.deepEqual(byHash.json.outputs, { sum: 2 });
    const resumed = await request(second.port, `/executions/${suspendedId}/resume`, { method: 'POST', body: { additionalInputs: { b: 2 } } });
    assert.equal(resumed.status, 200, resumed.text);
    assert.equal(resumed.json.status, 'completed', resumed.text);
    assert.deepEqual(resumed.json.outputs, { sum: 42 });
    assert.equal(resumed.json.executionId, suspendedId, 'resume keeps the id (docs/decisions.md #11)');
    const again = await request(second.port, '/compile', { method: 'POST', body: { source, name: 'adder' } });
    assert.equal(again.json.structuralHash, hash, 'the hash is stable across processes');
    await stop(second);
  });
});
