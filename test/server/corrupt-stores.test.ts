import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { post, request, serverProcesses } from '../helpers/http.js';

/**
 * Corrupt store files, written on disk between two runs of the real server process (issue 9,
 * item 3: a corrupt execution file vanished without a log line, a corrupt aliases.json dropped
 * every alias and the next compile overwrote it, a corrupt versions.json dropped all history).
 * Each damaged file is moved aside under `quarantine/`, logged with its path and never
 * overwritten; what other files can rebuild is rebuilt (aliases from versions, indexes from the
 * files they index); the server starts.
 */

const source = (n: number) => `in x: Int\nin y: Int\nz = x * ${n} + y\nout z`;
const GARBAGE = '{"alpha": "not a hash", truncated';

describe('corrupt store files', () => {
  const { dataDir, start, stop } = serverProcesses();
  const file = (...parts: string[]) => join(dataDir, ...parts);
  /** The quarantined copies of a store file (its path inside the data directory). */
  const quarantined = (...parts: string[]) => {
    const dir = join(dataDir, 'quarantine', ...parts.slice(0, -1));
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`${parts[parts.length - 1]}.`)).map((f) => join(dir, f)) : [];
  };

  let v1 = '';
  test('aliases.json, an aliased image, an execution snapshot and the image index: moved aside, logged, rebuilt from versions, never overwritten', async () => {
    const first = await start();
    v1 = (await post(first, '/compile', { source: source(1), name: 'alpha' })).json.structuralHash;
    const v2 = (await post(first, '/compile', { source: source(2), name: 'alpha' })).json.structuralHash as string;
    assert.equal((await post(first, '/compile', { source: source(3), name: 'beta' })).status, 200);
    const damaged = (await post(first, '/execute', { ref: 'beta', inputs: { x: 1 } })).json.executionId as string;
    const intact = (await post(first, '/execute', { ref: 'beta', inputs: { x: 2 } })).json.executionId as string;
    await stop(first);

    writeFileSync(file('pipelines', 'aliases.json'), GARBAGE);
    writeFileSync(file('pipelines', 'images', `${v2}.json`), '{}');
    writeFileSync(file('executions', `${damaged}.json`), '{"formatVersion":1,"executionId":');
    const index = readFileSync(file('pipelines', 'image-index.jsonl'), 'utf8');
    writeFileSync(file('pipelines', 'image-index.jsonl'), `%%% not a record %%%\n${index}`);

    const second = await start();
    const log = second.stdout();
    assert.match(log, new RegExp(`corrupt store file ${file('pipelines', 'aliases.json')} .*moved to`));
    assert.match(log, /2 alias\(es\) rebuilt from the version histories/);
    assert.match(log, new RegExp(`corrupt store file ${file('pipelines', 'image-index.jsonl')}`));
    assert.match(log, new RegExp(`corrupt store file ${file('pipelines', 'images', `${v2}.json`)}`));
    assert.match(log, /1 image\(s\) rebuilt from the sources of their versions/);
    // aliases rebuilt: each name runs its active version
    assert.deepEqual((await post(second, '/execute', { ref: 'alpha', inputs: { x: 5, y: 1 } })).json.outputs, { z: 11 });
    assert.deepEqual((await post(second, '/execute', { ref: 'beta', inputs: { x: 5, y: 1 } })).json.outputs, { z: 16 });
    assert.equal((await request(second.port, '/pipelines')).json.pipelines.length, 3, 'the image index was rebuilt from the image files');

    // the damaged snapshot is listed from the index until read; then moved aside and logged
    assert.equal((await request(second.port, '/executions')).json.executions.length, 2);
    const gone = await request(second.port, `/executions/${damaged}`);
    assert.equal(gone.status, 404, gone.text);
    assert.match(second.stdout(), new RegExp(`corrupt store file ${file('executions', `${damaged}.json`)}`));
    assert.equal(quarantined('executions', `${damaged}.json`).length, 1);
    assert.deepEqual((await request(second.port, '/executions')).json.executions.map((e: { executionId: string }) => e.executionId), [intact]);
    assert.equal((await post(second, `/executions/${intact}/resume`, { additionalInputs: { y: 1 } })).json.outputs.z, 7);

    // the next alias write starts a fresh file: the damaged one is kept as it was
    assert.equal((await post(second, '/compile', { source: source(4), name: 'gamma' })).status, 200);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(file('pipelines', 'aliases.json'), 'utf8'))).sort(), ['alpha', 'beta', 'gamma']);
    const [aside] = quarantined('pipelines', 'aliases.json');
    assert.equal(readFileSync(aside!, 'utf8'), GARBAGE);
    await stop(second);
  });

  test('versions.json: moved aside and logged; aliases keep working and no image it pinned is evicted as anonymous', async () => {
    writeFileSync(file('pipelines', 'versions.json'), '[1, 2');
    const third = await start({ CONSTELLATION_ANON_IMAGES_MAX_COUNT: '1' });
    assert.match(third.stdout(), new RegExp(`corrupt store file ${file('pipelines', 'versions.json')}`));
    assert.equal(quarantined('pipelines', 'versions.json').length, 1);
    assert.equal((await request(third.port, '/pipelines/alpha/versions')).status, 404, 'the history is gone (kept aside)');
    assert.deepEqual((await post(third, '/execute', { ref: 'alpha', inputs: { x: 5, y: 1 } })).json.outputs, { z: 11 });
    for (let i = 10; i < 14; i++) assert.equal((await post(third, '/run', { source: source(i), inputs: { x: 1, y: 1 } })).status, 200);
    // alpha's first version is pinned only by the lost history: it stays
    assert.deepEqual((await post(third, '/execute', { ref: `sha256:${v1}`, inputs: { x: 5, y: 1 } })).json.outputs, { z: 6 });
    await stop(third);
  });
});
