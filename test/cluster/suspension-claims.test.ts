import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { clusterConfig } from '../../cluster/config.js';
import { ClusterNode } from '../../cluster/node.js';
import { createClusterStores } from '../../cluster/stores/index.js';
import type { NatsSuspensionStore } from '../../cluster/stores/suspension-store.js';
import { sampleSnapshot } from '../contracts/fixtures.js';
import { startNats, type NatsServer } from '../helpers/nats.js';

/**
 * Resume claims across instances of one cluster (three nodes in this process on a real
 * nats-server): of concurrent claims exactly one wins, also on instances whose watches have not
 * delivered the execution yet; a claim released on one instance is free on another at once (its
 * mirror may still show the old claim); a claim held elsewhere is never taken; a completed resume
 * leaves nothing to claim. Any change that cuts round trips from the claim must keep these.
 */

let nats: NatsServer;
const nodes: ClusterNode[] = [];
let stores: NatsSuspensionStore[];

before(async () => {
  nats = await startNats({ name: 'claims' });
  stores = await Promise.all(
    ['a', 'b', 'c'].map(async (name) => {
      const node = new ClusterNode({ config: clusterConfig([nats.url], { clusterName: 'claims' }), instanceId: `${name}-1-claimsaa` });
      nodes.push(node);
      const s = createClusterStores(node, {});
      node.start();
      await node.whenSynchronised();
      return s.suspensionStore;
    }),
  );
});
after(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await nats.stop();
});

test('concurrent claims on three instances: exactly one wins each time, also right after the save', async () => {
  const [a, b, c] = stores as [NatsSuspensionStore, NatsSuspensionStore, NatsSuspensionStore];
  for (let i = 0; i < 20; i++) {
    const id = `race-${i}`;
    await a.save(sampleSnapshot(id));
    // no waiting for the watches: B and C may not have the entry in their mirrors yet
    const claims = await Promise.all([a.claim(id), b.claim(id), c.claim(id)]);
    const winners = claims.filter((x) => x !== undefined);
    assert.equal(winners.length, 1, `round ${i}: ${winners.length} winners`);
    const winner = winners[0]!;
    assert.equal((await [a, b, c][claims.indexOf(winner)]!.load(id))?.executionId, id, 'the winner loads the snapshot its claim read');
    assert.equal(await winner.delete(), true);
  }
});

test('a claim released on one instance is free on another at once; a completed one is gone everywhere', async () => {
  const [a, b, c] = stores as [NatsSuspensionStore, NatsSuspensionStore, NatsSuspensionStore];
  await a.save(sampleSnapshot('handover'));
  const first = (await b.claim('handover'))!;
  assert.ok(first);
  assert.deepEqual(await first.save({ ...sampleSnapshot('handover'), resumptionCount: 1 }), { persisted: true });
  await first.release();
  // C's mirror may still show B's claim: the bucket decides
  const second = await c.claim('handover');
  assert.ok(second, 'released: another instance claims it');
  assert.equal((await c.load('handover'))?.resumptionCount, 1, 'the snapshot the previous claim saved');
  assert.equal(await second.delete(), true);
  const after = await a.claim('handover');
  assert.ok(after, 'a claim over nothing');
  assert.equal(await a.load('handover'), undefined);
  assert.equal(await after.delete(), false);
});

test('a stale mirror never makes a second winner: a claim held elsewhere is ResumeInProgress', async () => {
  const [a, b] = stores as [NatsSuspensionStore, NatsSuspensionStore];
  await a.save(sampleSnapshot('held'));
  const holder = (await a.claim('held'))!;
  assert.ok(holder);
  for (let i = 0; i < 5; i++) assert.equal(await b.claim('held'), undefined);
  assert.equal(await holder.renew(), true);
  assert.equal(await b.claim('held'), undefined);
  await holder.release();
  const next = await b.claim('held');
  assert.ok(next);
  await next.release();
});
