import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compile, startServer, type TestServer } from '../helpers/server.js';

/** A restart on the same data directory keeps images, aliases, versions and suspended executions. */

const SOURCE = 'in text: String\nin n: Int\nshout = Uppercase(text)\nnext = n + 1\nout shout\nout next';
const SECOND = 'in text: String\nin n: Int\nshout = Lowercase(text)\nnext = n + 2\nout shout\nout next';

let dataDir: string;
const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.close({ keepData: true });
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

test('images, aliases, versions and suspended executions survive a restart', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'constellation-restart-'));
  const first = await startServer({ dataDir });
  servers.push(first);
  const h1 = await compile(first, SOURCE, 'persisted');
  const h2 = await compile(first, SECOND, 'persisted');
  const rolled = await first.post('/pipelines/persisted/rollback');
  assert.equal(rolled.status, 200);
  const before = await first.post('/execute', { ref: 'persisted', inputs: { text: 'Hello', n: 1 } });
  assert.deepEqual(before.body.outputs, { shout: 'HELLO', next: 2 });
  const suspended = await first.post('/execute', { ref: 'persisted', inputs: { n: 1 } });
  assert.equal(suspended.body.status, 'suspended');
  const versionsBefore = (await first.get('/pipelines/persisted/versions')).body;
  await first.close({ keepData: true });

  const second = await startServer({ dataDir });
  servers.push(second);
  const after = await second.post('/execute', { ref: 'persisted', inputs: { text: 'Hello', n: 1 } });
  assert.equal(after.status, 200, after.text);
  assert.deepEqual(after.body.outputs, before.body.outputs, 'same outputs by alias after the restart');
  const bySecondHash = await second.post('/execute', { ref: `sha256:${h2}`, inputs: { text: 'Hello', n: 1 } });
  assert.deepEqual(bySecondHash.body.outputs, { shout: 'hello', next: 3 });
  assert.deepEqual((await second.get('/pipelines/persisted/versions')).body, versionsBefore, 'versions survive');
  const detail = await second.get('/pipelines/persisted');
  assert.equal(detail.body.structuralHash, h1);
  assert.deepEqual(detail.body.aliases, ['persisted']);
  const listed = (await second.get('/pipelines')).body.pipelines.map((p: { structuralHash: string }) => p.structuralHash).sort();
  assert.deepEqual(listed, [h1, h2].sort());
  const execution = await second.get(`/executions/${suspended.body.executionId}`);
  assert.equal(execution.status, 200);
  assert.deepEqual(execution.body.missingInputs, { text: 'CString' });
  const forward = await second.post('/pipelines/persisted/rollback/2');
  assert.equal(forward.status, 200, 'rollback works on restored versions');
  assert.equal(forward.body.structuralHash, h2);
});
