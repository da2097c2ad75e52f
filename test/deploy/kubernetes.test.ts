import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deployFiles, dockerBuildTag, imageEnvironment, imageUser, readRepoFile, serverSettings, unknownVariables, yamlDocuments } from '../helpers/deploy.js';
import { validateManifest } from '../helpers/kubernetes.js';
import { natsServerPath } from '../helpers/nats.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * deploy/k8s offline: every manifest validates against the Kubernetes schemas (kubernetes-models,
 * no cluster needed) with no field the schemas do not know; the objects refer to each other by
 * names, labels and port names that exist; the variables are ones the server reads, with values
 * its own configuration loader accepts; probes, the scrape path and the autoscaling metric are
 * answered by a real server started with the ConfigMap's settings; the grace period covers the
 * drain the ConfigMap sets; the NATS configuration passes `nats-server -t`.
 */

// any fields: these are YAML documents, checked field by field below
type K8s = any;

const NOT_MANIFESTS = new Set(['deploy/k8s/kustomization.yaml', 'deploy/k8s/alternatives/prometheus-adapter-rules.yaml']);
const manifestFiles = deployFiles().filter((f) => f.startsWith('deploy/k8s/') && f.endsWith('.yaml') && !NOT_MANIFESTS.has(f));
const manifests: { file: string; doc: K8s }[] = manifestFiles.flatMap((file) => yamlDocuments(file).map((doc) => ({ file, doc })));

function the(kind: string, name: string, file?: string): K8s {
  const found = manifests.filter((m) => m.doc.kind === kind && m.doc.metadata?.name === name && (file === undefined || m.file === file));
  assert.equal(found.length, 1, `exactly one ${kind}/${name}${file ? ` in ${file}` : ''}`);
  return found[0]!.doc;
}

const deployment = the('Deployment', 'constellation-engine');
const podSpec = deployment.spec.template.spec;
const container = podSpec.containers.find((c: K8s) => c.name === 'constellation');
const configMap = the('ConfigMap', 'constellation-config');

/** The container's environment as the kubelet builds it: the ConfigMap, then `env` with $(VAR) expanded; POD_IP from the downward API. */
function containerEnvironment(): Record<string, string> {
  const env: Record<string, string> = { ...imageEnvironment(), ...configMap.data };
  const downward: Record<string, string> = { POD_IP: '10.1.2.3' };
  for (const e of container.env ?? []) {
    if (e.valueFrom) env[e.name] = downward[e.name] ?? assert.fail(`no test value for the downward API variable ${e.name}`);
    else env[e.name] = String(e.value).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, v: string) => env[v] ?? assert.fail(`$(${v}) is not defined before ${e.name}`));
  }
  return env;
}

const env = containerEnvironment();
const settings = serverSettings(env);

/** The container port named `name`. */
function containerPort(c: K8s, name: string): number {
  const p = (c.ports ?? []).find((x: K8s) => x.name === name);
  assert.ok(p, `container ${c.name} has a port named ${name}`);
  return p.containerPort;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe('deploy/k8s', () => {
  test('every manifest validates against the Kubernetes schemas, with no field the schemas do not know', async () => {
    assert.ok(manifests.length >= 12, `found ${manifests.length} objects`);
    const problems = (await Promise.all(manifests.map(async ({ file, doc }, i) => (await validateManifest(doc, `#${i}`)).map((p) => `${file}: ${p.object}: ${p.message}`)))).flat();
    assert.deepEqual(problems, []);
  });

  test('the validator rejects a misspelt field, a wrong type and an unknown kind', async () => {
    const copy = structuredClone(deployment);
    copy.spec.template.spec.containers[0].livenessProbe.initialDelaySecond = 30;
    copy.spec.replicas = 'two';
    const problems = (await validateManifest(copy)).map((p) => p.message).join('\n');
    assert.match(problems, /unknown field \/spec\/template\/spec\/containers\/0\/livenessProbe\/initialDelaySecond/);
    assert.match(problems, /replicas must be integer/);
    assert.match((await validateManifest({ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x' } }))[0]!.message, /not a Kubernetes API type/);
  });

  test('kustomization.yaml lists every manifest beside it; the alternatives stay out', () => {
    const [kustomization] = yamlDocuments('deploy/k8s/kustomization.yaml') as K8s[];
    assert.equal(kustomization.kind, 'Kustomization');
    const listed = (kustomization.resources as string[]).map((r) => `deploy/k8s/${r}`).sort();
    const beside = manifestFiles.filter((f) => !f.includes('/alternatives/')).sort();
    assert.deepEqual(listed, beside);
  });

  test('objects name each other, their labels and their ports consistently', () => {
    const namespace = the('Namespace', 'constellation');
    for (const { file, doc } of manifests) {
      if (doc.kind !== 'Namespace') assert.equal(doc.metadata.namespace, namespace.metadata.name, `${file}: ${doc.kind}/${doc.metadata.name} in the namespace`);
    }
    for (const { doc } of manifests.filter((m) => m.doc.kind === 'Deployment' || m.doc.kind === 'StatefulSet')) {
      assert.ok(matches(doc.spec.selector.matchLabels, doc.spec.template.metadata.labels), `${doc.kind}/${doc.metadata.name}: the selector selects its pods`);
    }
    const pods = manifests.filter((m) => m.doc.kind === 'Deployment' || m.doc.kind === 'StatefulSet').map((m) => m.doc);
    const podsOf = (selector: Record<string, string>) => pods.filter((w: K8s) => matches(selector, w.spec.template.metadata.labels));
    for (const { file, doc } of manifests.filter((m) => m.doc.kind === 'Service')) {
      const targets = podsOf(doc.spec.selector);
      assert.equal(targets.length, 1, `${file}: Service/${doc.metadata.name} selects one workload`);
      const containers = targets[0].spec.template.spec.containers;
      for (const port of doc.spec.ports) {
        const target = port.targetPort ?? port.port;
        const exists = containers.some((c: K8s) => (c.ports ?? []).some((p: K8s) => (typeof target === 'string' ? p.name === target : p.containerPort === target)));
        assert.ok(exists, `${file}: Service/${doc.metadata.name} port ${port.name} → ${target} is a container port`);
      }
    }
    for (const { file, doc } of manifests.filter((m) => m.doc.kind === 'PodDisruptionBudget')) {
      assert.equal(podsOf(doc.spec.selector.matchLabels).length, 1, `${file}: the budget covers one workload`);
    }
    for (const { file, doc } of manifests.filter((m) => m.doc.kind === 'Ingress')) {
      for (const rule of doc.spec.rules) {
        for (const path of rule.http.paths) {
          const { name, port } = path.backend.service;
          const service = the('Service', name, 'deploy/k8s/service.yaml');
          assert.ok(service.spec.ports.some((p: K8s) => p.name === port.name), `${file}: ${path.path} → ${name}:${port.name}`);
        }
      }
    }
    for (const { file, doc } of manifests.filter((m) => m.doc.kind === 'HorizontalPodAutoscaler')) {
      assert.deepEqual(doc.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name }, file);
    }
    assert.ok(container.envFrom.some((e: K8s) => e.configMapRef?.name === configMap.metadata.name), 'the container reads the ConfigMap');
    assert.equal(container.image, dockerBuildTag(), 'the image npm run docker:build tags');
  });

  test('the ConfigMap and the container set only variables the server reads, with values it accepts', () => {
    const helpers = (container.env ?? []).filter((e: K8s) => e.valueFrom).map((e: K8s) => e.name);
    assert.deepEqual(unknownVariables(Object.keys(env).filter((n) => !helpers.includes(n))), []);
    const { config, provider } = settings;
    assert.equal(containerPort(container, 'http'), config.port, 'the HTTP port');
    assert.ok(provider, 'the provider port is on (module providers register with every pod)');
    assert.equal(containerPort(container, 'grpc-provider'), provider.port, 'the provider port');
    assert.ok(config.scheduler.enabled, 'the scheduler is on: its queue is what the custom-metrics HPA scales on');
    assert.equal(config.logFormat, 'json');
  });

  test('a real server with the ConfigMap settings answers the probes, the scrape path and the autoscaling metric', async () => {
    // without NATS (the manifests' servers are not here): the answers below do not depend on it
    const local = Object.fromEntries(Object.entries(env).filter(([k]) => !/^CONSTELLATION_(NATS|CLUSTER)_|^CONSTELLATION_(PORT|DATA_DIR|WORKERS|LOG_FORMAT)$/.test(k)));
    const s = await startServer({ env: local });
    try {
      for (const [probe, expected] of [
        ['livenessProbe', { status: 'alive' }],
        ['readinessProbe', { status: 'ready' }],
      ] as const) {
        const get = container[probe].httpGet;
        assert.equal(containerPort(container, get.port), settings.config.port, `${probe} is on the HTTP port`);
        const r = await s.get(get.path);
        assert.equal(r.status, 200, `${probe} ${get.path}: ${r.text}`);
        assert.deepEqual(r.body, expected);
      }
      const annotations = deployment.spec.template.metadata.annotations;
      assert.equal(annotations['prometheus.io/scrape'], 'true');
      assert.equal(Number(annotations['prometheus.io/port']), settings.config.port);
      const scrape = await s.get(annotations['prometheus.io/path']);
      assert.equal(scrape.status, 200);
      assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const hpa = the('HorizontalPodAutoscaler', 'constellation-hpa', 'deploy/k8s/alternatives/hpa-custom-metrics.yaml');
      const metric = hpa.spec.metrics[0].pods.metric.name;
      assert.match(scrape.text, new RegExp(`^# TYPE ${metric} gauge$`, 'm'), `${metric} is exported`);
      const [adapter] = yamlDocuments('deploy/k8s/alternatives/prometheus-adapter-rules.yaml') as K8s[];
      const rule = adapter.rules.custom.find((r: K8s) => r.name.as === metric);
      assert.ok(rule, `the adapter rule publishes ${metric}`);
      const series = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{/.exec(rule.seriesQuery)?.[1];
      assert.match(scrape.text, new RegExp(`^# TYPE ${series} gauge$`, 'm'), `the adapter reads ${series}, which is exported`);
      assert.ok(new RegExp(rule.name.matches).test(series!), 'the rule renames the series it reads');
      assert.ok(Number(hpa.spec.metrics[0].pods.target.averageValue) <= settings.config.scheduler.maxConcurrency, 'the target queue is below the scheduler slots');
    } finally {
      await s.close();
    }
  });

  test('probes, resources and replicas as the deployment guide gives them', () => {
    assert.equal(deployment.spec.replicas, 2);
    const probe = (p: K8s) => [p.httpGet.path, p.initialDelaySeconds, p.periodSeconds, p.timeoutSeconds, p.failureThreshold];
    assert.deepEqual(probe(container.livenessProbe), ['/health/live', 30, 10, 5, 3]);
    assert.deepEqual(probe(container.readinessProbe), ['/health/ready', 10, 5, 3, 3]);
    assert.deepEqual(container.resources, { requests: { memory: '512Mi', cpu: '250m' }, limits: { memory: '1Gi', cpu: '1000m' } });
  });

  test('shutdown: the grace period covers the preStop delay, the drain and 15 s for closing', () => {
    const preStop = container.lifecycle.preStop.exec.command as string[];
    assert.equal(preStop[0], 'sleep');
    const preStopSeconds = Number(preStop[1]);
    assert.ok(preStopSeconds >= 5, 'endpoints and the ingress catch up before SIGTERM');
    const drainSeconds = settings.config.drainTimeoutMs / 1000;
    assert.ok(podSpec.terminationGracePeriodSeconds >= preStopSeconds + drainSeconds + 15, `${podSpec.terminationGracePeriodSeconds} s ≥ ${preStopSeconds} + ${drainSeconds} + 15`);
    assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0, 'a rollout never drops below the replicas');
  });

  test("security: the image's non-root user, a read-only root filesystem, the data directory on a volume", () => {
    const user = imageUser();
    assert.equal(podSpec.securityContext.runAsNonRoot, true);
    assert.equal(podSpec.securityContext.runAsUser, user.uid);
    assert.equal(podSpec.securityContext.runAsGroup, user.gid);
    assert.equal(podSpec.securityContext.fsGroup, user.gid, 'volumes writable by the group');
    assert.deepEqual(
      { ...container.securityContext, capabilities: undefined },
      { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: undefined },
    );
    assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    const mounts = new Map(container.volumeMounts.map((m: K8s) => [m.mountPath, m.name]));
    for (const path of [settings.config.dataDir, '/tmp']) {
      const volume = mounts.get(path);
      assert.ok(volume, `${path} is a mounted volume`);
      assert.ok(podSpec.volumes.some((v: K8s) => v.name === volume), `volume ${String(volume)} is declared`);
    }
  });

  test('ingresses: WebSockets with long timeouts; the one path that needs affinity, the LSP socket, in an Ingress of its own', () => {
    const main = the('Ingress', 'constellation');
    const sticky = the('Ingress', 'constellation-affinity');
    const bodyLimit = (a: Record<string, string>) => Number(/^(\d+)m$/.exec(a['nginx.ingress.kubernetes.io/proxy-body-size'] ?? '')?.[1]) * 1024 * 1024;
    for (const ingress of [main, sticky]) {
      const a = ingress.metadata.annotations;
      assert.equal(a['nginx.ingress.kubernetes.io/proxy-http-version'], '1.1', 'HTTP/1.1 to the pods');
      assert.ok(Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout']) >= 3600, 'sockets stay open');
      assert.ok(Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout']) > settings.lsp.idleTimeoutSeconds, "longer than the language server's own idle timeout");
      assert.ok(bodyLimit(a) > settings.config.maxBodyBytes, "bodies up to the server's limit pass (it answers 413 itself)");
    }
    assert.equal(main.metadata.annotations['nginx.ingress.kubernetes.io/affinity'], undefined, 'the API needs no affinity');
    assert.equal(sticky.metadata.annotations['nginx.ingress.kubernetes.io/affinity'], 'cookie');
    const paths = sticky.spec.rules[0].http.paths.map((p: K8s) => [p.path, p.pathType]);
    // the dashboard's /api/v1 is not among them: its run history is shared by the cluster
    assert.deepEqual(paths, [['/lsp', 'Exact']]);
    assert.deepEqual(main.spec.rules[0].http.paths.map((p: K8s) => p.path), ['/']);
    // the same path as the nginx cluster site pins to one instance
    const pinned = [...readRepoFile('deploy/nginx/cluster.conf').matchAll(/location\s+(?:=\s*)?(\S+)\s*\{[^}]*proxy_pass http:\/\/constellation_affinity;/g)].map((m) => m[1]!);
    assert.deepEqual(pinned, ['/lsp'], `nginx pins ${pinned.join(', ')}`);
    assert.deepEqual(main.spec.rules.map((r: K8s) => r.host), sticky.spec.rules.map((r: K8s) => r.host), 'one host');
  });

  test('autoscaling: CPU 70 % and memory 80 %; the custom-metrics alternative replaces that HPA instead of joining it', () => {
    const hpa = the('HorizontalPodAutoscaler', 'constellation-hpa', 'deploy/k8s/hpa.yaml');
    const targets = hpa.spec.metrics.map((m: K8s) => [m.resource.name, m.resource.target.averageUtilization]);
    assert.deepEqual(targets, [['cpu', 70], ['memory', 80]]);
    assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [2, 10]);
    const custom = the('HorizontalPodAutoscaler', 'constellation-hpa', 'deploy/k8s/alternatives/hpa-custom-metrics.yaml');
    assert.equal(custom.metadata.name, hpa.metadata.name, 'same name: applying it replaces the other');
    assert.equal(custom.spec.metrics[0].type, 'Pods');
  });

  test('the module-provider service is headless and on the provider port', () => {
    const service = the('Service', 'constellation-engine-provider');
    assert.equal(service.spec.clusterIP, 'None', 'a provider reaches every pod, not one behind a virtual IP');
    assert.deepEqual(service.spec.ports.map((p: K8s) => containerPort(container, p.targetPort)), [settings.provider!.port]);
    assert.equal(the('Service', 'constellation-engine', 'deploy/k8s/service.yaml').spec.sessionAffinity, undefined);
  });

  describe('NATS', () => {
    const statefulSet = the('StatefulSet', 'nats');
    const natsConfig = the('ConfigMap', 'nats-config');
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'constellation-k8s-nats-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    test("the server configuration passes nats-server's own check", () => {
      const file = join(dir, 'nats.conf');
      writeFileSync(file, natsConfig.data['nats.conf']);
      const check = spawnSync(natsServerPath(), ['-t', '-c', file], { encoding: 'utf8', env: { ...process.env, POD_NAME: 'nats-0' } });
      assert.equal(check.status, 0, check.stderr + check.stdout);
      // and the check can fail: a misspelt field
      writeFileSync(file, natsConfig.data['nats.conf'].replace('store_dir', 'store_dri'));
      assert.notEqual(spawnSync(natsServerPath(), ['-t', '-c', file], { env: { ...process.env, POD_NAME: 'nats-0' } }).status, 0);
    });

    test("CONSTELLATION_NATS_URL names the StatefulSet's pods; replicas match the buckets'", () => {
      const cluster = settings.config.cluster;
      assert.ok(cluster, 'cluster mode');
      const urls = cluster.servers;
      const clientPort = containerPort(statefulSet.spec.template.spec.containers[0], 'client');
      const expected = Array.from({ length: statefulSet.spec.replicas }, (_, i) => `nats://${statefulSet.metadata.name}-${i}.${statefulSet.spec.serviceName}:${clientPort}`);
      assert.deepEqual(urls, expected);
      the('Service', statefulSet.spec.serviceName);
      assert.equal(cluster.replicas, statefulSet.spec.replicas);
      const routes = /routes:\s*\[([^\]]*)\]/.exec(natsConfig.data['nats.conf'])![1]!.trim().split(/\s+/);
      const clusterPort = containerPort(statefulSet.spec.template.spec.containers[0], 'cluster');
      assert.deepEqual(routes, expected.map((u) => u.replace(`:${clientPort}`, `:${clusterPort}`)));
    });
  });
});
