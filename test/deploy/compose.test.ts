import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadCompose, flagValue, type ComposeFile, type ComposeService } from '../helpers/compose.js';
import { composeDuration, dockerBuildTag, imageEnvironment, readRepoFile, REPO, serverSettings as settingsOf, unknownVariables, yamlDocuments } from '../helpers/deploy.js';
import { upstreamServers } from '../helpers/nginx.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * The compose files parse, and name only what exists: the image `npm run docker:build` builds
 * (from this repository's Dockerfile) or external images pinned to a version; variables the
 * server reads, with values its configuration loader accepts; ports it listens on; health checks
 * and scrape paths a real server answers; files, services and volumes that are there. The
 * cluster file's instances (their environment) and nginx run for real in cluster-nginx.test.ts.
 */

const FILES = ['deploy/docker-compose.yml', 'deploy/docker-compose.cluster.yml'];
const composes = FILES.map(loadCompose);
const single = composes[0]!;
const cluster = composes[1]!;

const ours = (c: ComposeFile) => [...c.services.values()].filter((s) => s.image === dockerBuildTag());
const containerPort = (mapping: string) => Number(mapping.split(':').at(-1)!.split('/')[0]);
/** What the server in a service's container reads: the image's environment, then the service's. */
const serverSettings = (env: Readonly<Record<string, string>>) => settingsOf({ ...imageEnvironment(), ...env });
/** A path in the compose file (`./nginx/cluster.conf`) from the repository root. */
const fromFile = (c: ComposeFile, path: string) => posix.normalize(posix.join(c.dir, path));

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.close();
});

for (const compose of composes) {
  describe(compose.path, () => {
    test('services run the image built from this repository, or an external image pinned to a version', () => {
      assert.ok(ours(compose).length > 0);
      for (const s of compose.services.values()) {
        if (s.build) {
          assert.equal(s.image, dockerBuildTag(), `${s.name}: tagged as npm run docker:build tags it`);
          const context = resolve(REPO, compose.dir, s.build.context);
          assert.equal(context, resolve(REPO), `${s.name}: built from the repository root`);
          assert.ok(existsSync(join(context, s.build.dockerfile ?? 'Dockerfile')), `${s.name}: ${s.build.dockerfile} exists`);
        } else {
          assert.match(s.image ?? '', /^[a-z0-9./-]+:v?\d+(\.\d+)*(-[a-z0-9]+)?$/, `${s.name}: ${s.image} has a version tag`);
        }
      }
    });

    test('the instances set only variables the server reads, with values it accepts, and publish only its ports', () => {
      for (const s of ours(compose)) {
        assert.deepEqual(unknownVariables(Object.keys(s.environment)), [], s.name);
        const { config, provider } = serverSettings(s.environment);
        assert.ok(provider, `${s.name}: the provider port is on`);
        const listening = new Set([config.port, provider.port]);
        for (const p of s.ports) assert.ok(listening.has(containerPort(p)), `${s.name}: ${p} maps a port the server listens on`);
        assert.ok(s.volumes.some((v) => v.split(':')[1] === config.dataDir), `${s.name}: ${config.dataDir} is a volume`);
        assert.ok(s.stopGracePeriod, `${s.name}: a stop grace period`);
        assert.ok(composeDuration(s.stopGracePeriod!) >= config.drainTimeoutMs + 15_000, `${s.name}: the stop grace period covers the drain and 15 s`);
        assert.ok(config.scheduler.enabled, `${s.name}: scheduler on`);
      }
    });

    test("the instances' health check asks the liveness route on the server's port", async () => {
      for (const s of ours(compose)) {
        const [kind, ...command] = s.healthcheck!.test;
        assert.equal(kind, 'CMD');
        assert.deepEqual(command.slice(0, 2), ['curl', '-fsS']);
        const url = new URL(command[2]!);
        assert.equal(Number(url.port), serverSettings(s.environment).config.port, s.name);
        const r = await server.get(url.pathname);
        assert.equal(r.status, 200, `${url.pathname}: ${r.text}`);
        assert.deepEqual(r.body, { status: 'alive' });
      }
    });

    test('mounted files exist; dependencies and named volumes are declared', () => {
      for (const s of compose.services.values()) {
        for (const v of s.volumes) {
          const [source] = v.split(':');
          if (source!.startsWith('.')) assert.ok(existsSync(join(REPO, fromFile(compose, source!))), `${s.name}: ${source} exists`);
          else assert.ok(compose.volumes.includes(source!), `${s.name}: volume ${source} is declared`);
        }
        for (const d of s.dependsOn) assert.ok(compose.services.has(d), `${s.name} depends on ${d}, which is a service`);
      }
    });

    test('Prometheus (profile monitoring) scrapes every instance on its HTTP port at a path that answers Prometheus text', async () => {
      const prometheus = compose.services.get('prometheus')!;
      assert.deepEqual(prometheus.profiles, ['monitoring'], 'not started by a plain `up`');
      assert.deepEqual(compose.services.get('grafana')?.profiles, ['monitoring']);
      const mount = prometheus.volumes.find((v) => v.split(':')[1] === '/etc/prometheus/prometheus.yml')!;
      const [config] = yamlDocuments(fromFile(compose, mount.split(':')[0]!)) as any[];
      const job = config.scrape_configs[0];
      const targets = job.static_configs.flatMap((c: { targets: string[] }) => c.targets).sort();
      const expected = ours(compose).map((s) => `${s.name}:${serverSettings(s.environment).config.port}`).sort();
      assert.deepEqual(targets, expected);
      const r = await server.request('GET', job.metrics_path);
      assert.equal(r.status, 200);
      assert.match(r.text, /^# TYPE constellation_server_requests_total counter$/m);
      for (const p of prometheus.ports) assert.ok(!ours(compose).some((s) => s.ports.some((q) => q.split(':')[0] === p.split(':')[0])), `${p}: not a host port an instance uses`);
    });
  });
}

describe('deploy/docker-compose.yml (one instance)', () => {
  test('one instance on the HTTP and provider ports, with the guide’s scheduler settings', () => {
    const instances = ours(single);
    assert.equal(instances.length, 1);
    const s = instances[0]!;
    assert.equal(s.name, 'constellation');
    assert.deepEqual(s.ports, ['8080:8080', '9090:9090']);
    assert.equal(s.environment['CONSTELLATION_SCHEDULER_MAX_CONCURRENCY'], '16');
    assert.equal(s.environment['CONSTELLATION_SCHEDULER_STARVATION_TIMEOUT'], '30s');
    assert.equal(s.environment['CONSTELLATION_NATS_URL'], undefined, 'one instance: no NATS');
  });
});

describe('deploy/docker-compose.cluster.yml', () => {
  const nats = [...cluster.services.values()].filter((s) => s.image?.startsWith('nats:'));
  const instances = ours(cluster);
  const nginx = cluster.services.get('nginx')!;

  test('three NATS servers with JetStream, each routed to the other two', () => {
    assert.equal(nats.length, 3);
    for (const s of nats) {
      const command = s.command!;
      assert.equal(flagValue(command, '--server_name', '-n', '--name'), s.name);
      assert.ok(command.includes('--jetstream') || command.includes('-js'), `${s.name}: JetStream on`);
      assert.ok(s.volumes.some((v) => v.split(':')[1] === flagValue(command, '--store_dir', '-sd')), `${s.name}: its store is a volume`);
      const clusterPort = new URL(flagValue(command, '--cluster')!).port;
      const routes = flagValue(command, '--routes')!.split(',').map((r) => new URL(r));
      assert.deepEqual(routes.map((r) => r.hostname).sort(), nats.filter((o) => o !== s).map((o) => o.name).sort(), `${s.name}: routes to the others`);
      for (const r of routes) assert.equal(r.port, clusterPort);
    }
  });

  test('three instances on every NATS server, replicas 3, one cluster name, each advertising its own address', () => {
    assert.equal(instances.length, 3);
    for (const s of instances) {
      const env = s.environment;
      // as the server reads them (cluster mode is on when its NATS URL is set)
      const { port, cluster: mode } = serverSettings(env).config;
      assert.ok(mode, `${s.name}: cluster mode`);
      const urls = mode.servers.map((u) => new URL(u));
      assert.deepEqual(urls.map((u) => u.hostname).sort(), nats.map((n) => n.name).sort(), `${s.name}: every NATS server`);
      for (const u of urls) assert.equal(u.port, '4222', 'the NATS client port (nats-server default)');
      assert.equal(mode.replicas, nats.length, `${s.name}: buckets kept on every NATS server`);
      assert.equal(mode.clusterName, serverSettings(instances[0]!.environment).config.cluster?.clusterName, `${s.name}: one cluster`);
      assert.equal(env['CONSTELLATION_CLUSTER_ADVERTISE_URL'], `http://${s.name}:${port}`);
      assert.deepEqual(s.ports, [], 'reached through nginx (providers on the compose network)');
      for (const n of nats) assert.ok(s.dependsOn.includes(n.name));
    }
  });

  test("nginx serves the repository's cluster site, whose upstreams are the instances' HTTP ports", () => {
    const mount = nginx.volumes.find((v) => v.split(':')[1] === '/etc/nginx/conf.d/default.conf');
    assert.ok(mount, 'the site replaces the image default');
    const path = fromFile(cluster, mount.split(':')[0]!);
    assert.equal(path, 'deploy/nginx/cluster.conf');
    const site = readRepoFile(path);
    const expected = instances.map((s) => `${s.name}:${serverSettings(s.environment).config.port}`).sort();
    for (const upstream of ['constellation', 'constellation_affinity']) assert.deepEqual(upstreamServers(site, upstream).sort(), expected, upstream);
    assert.match(site, /listen 80;/);
    assert.deepEqual(nginx.ports.map(containerPort), [80]);
    for (const s of instances) assert.ok(nginx.dependsOn.includes(s.name), `nginx starts after ${s.name} exists (it resolves the names at start)`);
  });
});

describe('compose parsing', () => {
  test('interpolation and merge keys as docker compose applies them', () => {
    const s: ComposeService = single.services.get('constellation')!;
    assert.equal(s.environment['CONSTELLATION_PORT'], '8080', '${CONSTELLATION_PORT:-8080} with nothing set');
    const c = cluster.services.get('constellation-2')!;
    assert.equal(c.environment['CONSTELLATION_SCHEDULER_ENABLED'], 'true', 'from the shared anchor');
    assert.equal(c.environment['CONSTELLATION_CLUSTER_ADVERTISE_URL'], 'http://constellation-2:8080', 'its own');
    assert.equal(c.image, dockerBuildTag());
  });
});
