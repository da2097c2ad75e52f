import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { clusterView, eventually, ready, startInstance, type Instance } from '../helpers/cluster.js';
import { freePort, startNats, type NatsServer } from '../helpers/nats.js';
import { FAST_TIMERS, killProviders, startKitProvider } from '../provider/support.js';

/**
 * Providers in a cluster: two instance processes with provider ports against a real
 * nats-server, kit provider processes registering over gRPC. Each instance advertises its
 * providers in `cst_<c>_providers`; both report, module by module, what differs between them:
 * a module provided on one instance only (`missing`), the same module with other schemas
 * (`schema`). A provider that disconnects and an instance that crashed stop counting.
 */

const instances: Instance[] = [];
const servers: NatsServer[] = [];
after(async () => {
  await killProviders();
  await Promise.all(instances.map((i) => i.kill()));
  for (const i of instances) i.cleanup();
  await Promise.all(servers.map((s) => s.stop()));
});

interface Finding {
  kind: string;
  module: string;
  schemas?: Record<string, string[]>;
  providedOn?: string[];
  missingOn?: string[];
  since: string;
}

async function withProviderPort(name: string, natsUrl: string): Promise<{ instance: Instance; grpc: string }> {
  const port = await freePort();
  const instance = await startInstance({ name, natsUrl, clusterName: 'prov', env: { ...FAST_TIMERS, CONSTELLATION_PROVIDER_PORT: String(port) } });
  instances.push(instance);
  return { instance, grpc: `127.0.0.1:${port}` };
}

/** The provider findings of an instance once `accept` likes them. */
function findings(instance: Instance, what: string, accept: (f: Finding[], view: any) => boolean): Promise<Finding[]> {
  return eventually(`${instance.name}: ${what}`, async () => {
    const view = await clusterView(instance);
    const found = view.providers.divergence as Finding[];
    return accept(found, view) ? found : undefined;
  });
}

const GEO = ['geo.Echo', 'geo.Flaky', 'geo.Slow', 'geo.Tally'];
const modulesOf = (f: Finding[]) => f.map((x) => x.module);

describe('providers in cluster mode', () => {
  test('advertised by every instance; divergence reported module by module on every instance, cleared when the provider or the instance goes', async () => {
    const nats = await startNats({ name: 'prov' });
    servers.push(nats);
    const [a, b] = await Promise.all([withProviderPort('a', nats.url), withProviderPort('b', nats.url)]);
    await Promise.all([ready(a.instance), ready(b.instance)]);
    const idA = (await clusterView(a.instance)).instanceId as string;
    const idB = (await clusterView(b.instance)).instanceId as string;

    // one provider (the kit) registering with both: both advertise it, nothing differs
    await startKitProvider({ namespace: 'shop', servers: [a.grpc, b.grpc] });
    for (const i of [a.instance, b.instance]) {
      const found = await findings(i, 'both advertise shop', (_f, v) => v.providers.advertising.length === 2 && v.providers.advertising.every((x: any) => x.modules === 4));
      assert.deepEqual(found, []);
      const view = await clusterView(i);
      assert.deepEqual(view.providers.advertising.map((x: any) => [x.instanceId, x.self, x.namespaces, x.executors]), [
        [i === a.instance ? idA : idB, true, 1, 1],
        [i === a.instance ? idB : idA, false, 1, 1],
      ]);
      assert.deepEqual(view.moduleDivergence, [], 'the module registries agree too');
    }

    // a provider of `geo` on A only: provided on some live instances and not on others
    const geoA = await startKitProvider({ namespace: 'geo', servers: [a.grpc], tag: 'geo-a' });
    for (const i of [a.instance, b.instance]) {
      const found = await findings(i, 'geo missing on b', (f) => f.length === 4);
      assert.deepEqual(modulesOf(found), GEO);
      for (const f of found) {
        assert.equal(f.kind, 'missing');
        assert.deepEqual(f.providedOn, [idA]);
        assert.deepEqual(f.missingOn, [idB]);
        assert.ok(Date.parse(f.since) > 0);
      }
    }
    // provider modules are in the membership's module digests as well
    const registry = await eventually('a: module registry divergence names the geo modules', async () => {
      const d = (await clusterView(a.instance)).moduleDivergence.find((x: any) => x.instanceId === idB);
      return d && !d.unknown && d.missing.length === 4 ? d : undefined;
    });
    assert.deepEqual(registry.missing, GEO);

    // the same namespace from another provider on B only, Echo with another schema: one schema finding, on both
    const geoB = await startKitProvider({ namespace: 'geo', servers: [b.grpc], tag: 'geo-b', version: 'v2' });
    for (const i of [a.instance, b.instance]) {
      const [echo, ...rest] = await findings(i, 'geo.Echo schemas differ', (f) => f.length === 1);
      assert.deepEqual(rest, []);
      assert.equal(echo!.kind, 'schema');
      assert.equal(echo!.module, 'geo.Echo');
      const holders = Object.values(echo!.schemas!).sort();
      assert.equal(holders.length, 2, 'two schema digests');
      assert.deepEqual(holders.flat().sort(), [idA, idB].sort());
      assert.equal(echo!.missingOn, undefined);
      const metrics = (await i.get('/metrics', { accept: 'text/plain' })).text;
      assert.match(metrics, /^constellation_cluster_provider_divergence\{kind="schema"\} 1$/m);
      assert.match(metrics, /^constellation_cluster_provider_divergence\{kind="missing"\} 0$/m);
      assert.match(metrics, /^constellation_cluster_provider_instances 2$/m);
    }

    // B's provider disconnects (killed: its stream breaks): back to "provided on A only"
    geoB.kill('SIGKILL');
    await geoB.exited;
    for (const i of [a.instance, b.instance]) assert.deepEqual(modulesOf(await findings(i, 'geo missing on b again', (f) => f.length === 4 && f.every((x) => x.kind === 'missing'))), GEO);

    // A's provider leaves (deregisters): the cluster agrees again
    geoA.kill('SIGTERM');
    await geoA.exited;
    for (const i of [a.instance, b.instance]) {
      await findings(i, 'no divergence', (f) => f.length === 0);
      assert.match((await i.get('/metrics', { accept: 'text/plain' })).text, /^constellation_cluster_provider_divergence\{kind="missing"\} 0$/m);
    }

    // an instance that crashes stops counting once it is no longer a live member
    await startKitProvider({ namespace: 'geo', servers: [b.grpc], tag: 'geo-b2' });
    await findings(a.instance, 'geo missing on a', (f) => f.length === 4 && f.every((x) => x.missingOn?.[0] === idA));
    await b.instance.kill();
    await findings(a.instance, 'b dead: its advertisement ignored', (f, v) => f.length === 0 && v.providers.advertising.length === 1);
    const view = await clusterView(a.instance);
    assert.deepEqual(view.providers.advertising.map((x: any) => x.instanceId), [idA]);
  });
});
