import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Packr } from 'msgpackr';
import { ENVELOPE_VERSION } from '../../cluster/envelope.js';
import { providerAdvertisementEnvelope } from '../../cluster/provider-advertisement.js';
import { MAX_INSTANCES_LISTED, providerDivergence, type AdvertisedNamespace } from '../../cluster/provider-divergence.js';

/**
 * The comparison of provider advertisements between instances (pure), and the envelope an
 * advertisement travels in (what another writer puts in the bucket is validated, not trusted).
 */

const ns = (namespace: string, modules: Record<string, string>, groupId = ''): AdvertisedNamespace => ({ namespace, groupId, executorUrls: ['127.0.0.1:9091'], modules });

describe('provider divergence between instances', () => {
  test('agreeing instances, and a single instance, report nothing', () => {
    const same = [ns('geo', { Distance: 'd1', Near: 'n1' })];
    assert.deepEqual(providerDivergence(new Map([['a', same], ['b', same]])), []);
    assert.deepEqual(providerDivergence(new Map([['a', same]])), []);
  });

  test('schema, missing and ownership findings, named module by module and sorted', () => {
    const found = providerDivergence(
      new Map([
        ['a', [ns('geo', { Distance: 'd1', Near: 'n1' }), ns('ml', { Score: 's1' }, 'g1')]],
        ['b', [ns('geo', { Distance: 'd2' }), ns('ml', { Score: 's1' })]],
        ['c', [ns('geo', { Distance: 'd1', Near: 'n1' })]],
      ]),
    );
    assert.deepEqual(found, [
      { kind: 'schema', module: 'geo.Distance', namespace: 'geo', schemas: { d1: ['a', 'c'], d2: ['b'] } },
      { kind: 'missing', module: 'geo.Near', namespace: 'geo', providedOn: ['a', 'c'], missingOn: ['b'] },
      { kind: 'ownership', module: 'ml', namespace: 'ml', owners: { '(solo)': ['b'], g1: ['a'] } },
      { kind: 'missing', module: 'ml.Score', namespace: 'ml', providedOn: ['a', 'b'], missingOn: ['c'] },
    ]);
  });

  test('a schema finding also says where the module is absent; instance lists are bounded', () => {
    const instances = new Map<string, AdvertisedNamespace[]>();
    for (let i = 0; i < 30; i++) instances.set(`i${String(i).padStart(2, '0')}`, [ns('geo', { Distance: i === 0 ? 'other' : 'd1' })]);
    instances.set('empty', []);
    const [finding, ...rest] = providerDivergence(instances);
    assert.deepEqual(rest, []);
    assert.equal(finding!.kind, 'schema');
    assert.deepEqual(finding!.schemas!['other'], ['i00']);
    assert.equal(finding!.schemas!['d1']!.length, MAX_INSTANCES_LISTED);
    assert.deepEqual(finding!.missingOn, ['empty']);
  });
});

describe('provider advertisement envelope', () => {
  test('round trip; hostile values are refused with a reason', () => {
    const value = { instanceId: 'host-1-abcdefgh', namespaces: [ns('geo', { Distance: 'd1' }, 'g')] };
    const back = providerAdvertisementEnvelope.decode(providerAdvertisementEnvelope.encode(value));
    assert.deepEqual(back, { ok: true, value });
    const packr = new Packr({ useRecords: false });
    const raw = (v: unknown) => {
      const body = packr.pack(v);
      const out = new Uint8Array(body.length + 1);
      out[0] = ENVELOPE_VERSION;
      out.set(body, 1);
      return out;
    };
    const bad = [
      { kind: 'providers', instanceId: 'not an id!', namespaces: [] },
      { kind: 'providers', instanceId: 'h-1-x', namespaces: [{ namespace: 'geo', groupId: '', executorUrls: [], modules: { Distance: 42 } }] },
      { kind: 'providers', instanceId: 'h-1-x', namespaces: [{ namespace: '', groupId: '', executorUrls: [], modules: {} }] },
    ];
    for (const v of bad) {
      const d = providerAdvertisementEnvelope.decode(raw(v));
      assert.equal(d.ok, false);
      assert.equal(!d.ok && d.reason, 'schema');
    }
    const other = providerAdvertisementEnvelope.decode(raw({ kind: 'member', instanceId: 'h-1-x' }));
    assert.equal(!other.ok && other.reason, 'kind');
  });
});
