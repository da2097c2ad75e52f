import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { eventually, ready, startInstance, type Instance } from '../helpers/cluster.js';
import { loadCompose } from '../helpers/compose.js';
import { dockerBuildTag, readRepoFile } from '../helpers/deploy.js';
import { DEPENDENCY_MODULES_JS, startDependency, type Dependency } from '../helpers/dependency.js';
import { FAULTS_JS, request, sleep, tempDir, type Reply } from '../helpers/http.js';
import { startNats, type NatsServer } from '../helpers/nats.js';
import { openSocket } from '../helpers/lsp.js';
import { mapUpstreams, startNginx, type AccessEntry, type RunningNginx } from '../helpers/nginx.js';

/**
 * The cluster deployment run on loopback without Docker: three instances with the environment
 * of deploy/docker-compose.cluster.yml (ports, NATS address, replicas and timers changed for one
 * machine) on a real nats-server, and a real nginx with deploy/nginx/cluster.conf, its upstream
 * host names replaced by the instances' ports and nothing else changed. Through nginx: requests
 * spread over all three (the dashboard's /api/v1 too: no affinity); a dashboard run is in the
 * history of all three and a delete through nginx removes it from all; the live-events WebSocket
 * upgrades, stays open and carries the events of runs on every instance; an execution suspended
 * through nginx resumes through nginx on another instance; each load-balancing strategy does what
 * its file says. Last, one instance sent SIGTERM under a modest load drains while nginx routes
 * around it: every request answered, GETs that reached it retried elsewhere, POSTs that reached
 * it answered 503 there, and no POST run twice — counted by a real HTTP dependency in this
 * process that each POST's pipeline calls once with the request's id.
 */

const COMPOSE = loadCompose('deploy/docker-compose.cluster.yml');
const SERVICES = [...COMPOSE.services.values()].filter((s) => s.image === dockerBuildTag());
const SITE = 'deploy/nginx/cluster.conf';
const CALL = 'in id: String\nr = CallDependency(id)\nout r\n';

describe('deploy/nginx/cluster.conf in front of three instances on one NATS server', () => {
  let dir: string;
  let nats: NatsServer;
  let dep: Dependency;
  let site: string;
  let proxy: RunningNginx;
  const instances: Instance[] = [];
  /** `127.0.0.1:<port>` (nginx's $upstream_addr) → compose service name. */
  const names = new Map<string, string>();
  const served = (e: AccessEntry) => names.get(e.upstreams.at(-1)!) ?? `unknown ${e.upstreams.join(',')}`;
  const call = (port: number, path: string, id: string, init: { method?: string; body?: unknown } = {}) => request(port, path, { ...init, headers: { 'x-request-id': id } });
  const through = (path: string, id: string, init: { method?: string; body?: unknown } = {}) => call(proxy.port, path, id, init);
  const countBy = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());

  before(async () => {
    assert.equal(SERVICES.length, 3);
    dir = tempDir('constellation-cluster-nginx-');
    dep = await startDependency();
    nats = await startNats({ name: 'deploy' });
    const started = await Promise.all(
      SERVICES.map(async (s) => {
        // the compose file's environment, with what belongs to the compose network (ports, the
        // NATS servers' names, three replicas) and the 25 s drain changed for one machine
        const { CONSTELLATION_PORT: _, CONSTELLATION_CLUSTER_ADVERTISE_URL: __, ...env } = s.environment;
        const instance = await startInstance({
          name: s.name,
          natsUrl: nats.url,
          env: {
            ...env,
            CONSTELLATION_NATS_URL: nats.url,
            CONSTELLATION_NATS_REPLICAS: '1',
            CONSTELLATION_PROVIDER_PORT: '0',
            CONSTELLATION_DRAIN_TIMEOUT: '5s',
            CONSTELLATION_MODULES: `${FAULTS_JS},${DEPENDENCY_MODULES_JS}`,
            CONSTELLATION_TEST_DEPENDENCY_URL: dep.url,
          },
        });
        instances.push(instance);
        return [s.name, instance] as const;
      }),
    );
    await Promise.all(instances.map((i) => ready(i, 30_000)));
    const byName = new Map(started);
    for (const [name, i] of byName) names.set(`127.0.0.1:${i.port}`, name);
    site = mapUpstreams(readRepoFile(SITE), (hostPort) => {
      const [host, port] = hostPort.split(':');
      assert.equal(port, '8080', `${hostPort}: the instances' HTTP port`);
      return `127.0.0.1:${byName.get(host!)?.port ?? assert.fail(`${host} is not an instance of the compose file`)}`;
    });
    proxy = await startNginx(join(dir, 'cluster'), site);
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all(instances.map((i) => i.kill()));
    for (const i of instances) i.cleanup();
    await nats?.stop();
    await dep?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('requests spread over the three instances in turn, the dashboard API too', async () => {
    for (let i = 0; i < 12; i++) {
      const r = i % 2 === 0 ? await through('/pipelines', `spread-${i}`) : await through('/run', `spread-${i}`, { method: 'POST', body: { source: 'in x: Int\nout x', inputs: { x: i } } });
      assert.equal(r.status, 200, r.text);
    }
    const counts = countBy((await proxy.logged('spread-', 12)).map(served));
    assert.deepEqual([...counts.keys()].sort(), SERVICES.map((s) => s.name).sort(), 'all three');
    assert.deepEqual([...counts.values()], [4, 4, 4], 'round-robin');
    // the dashboard needs no affinity in cluster mode (its history is shared)
    for (let i = 0; i < 6; i++) assert.equal((await through('/api/v1/status', `dashboard-${i}`)).status, 200);
    assert.equal(new Set((await proxy.logged('dashboard-', 6)).map(served)).size, 3);
  });

  test('a dashboard run through nginx is in the history of every instance, and deleted through nginx it is gone from all', async () => {
    const run = await through('/api/v1/execute', 'history-run', { method: 'POST', body: { scriptPath: 'through-nginx.cst', content: 'in x: Int\ny = x * 3\nout y\n', inputs: { x: 14 } } });
    assert.equal(run.status, 200, run.text);
    assert.deepEqual(run.json.outputs, { y: 42 });
    const id: string = run.json.executionId;
    for (const instance of instances) {
      const record = await eventually(`the run in ${instance.name}'s history`, async () => {
        const r = await instance.get(`/api/v1/executions/${id}`);
        return r.status === 200 && r.json.status === 'Completed' ? r.json : undefined;
      });
      assert.deepEqual([record.outputs, record.scriptPath], [{ y: 42 }, 'through-nginx.cst'], instance.name);
      assert.ok((await instance.get('/api/v1/executions?script=through-nginx')).json.executions.some((e: { executionId: string }) => e.executionId === id), instance.name);
    }
    const [ran] = await proxy.logged('history-run', 1);
    const elsewhere = instances.find((i) => i.name !== served(ran!))!;
    const dag = await elsewhere.get(`/api/v1/executions/${id}/dag`);
    assert.equal(dag.status, 200, dag.text);
    assert.ok(dag.json.nodes.some((n: { executionState: { status: string } | null }) => n.executionState?.status === 'Completed'), 'the states of the run on another instance');
    assert.equal((await through(`/api/v1/executions/${id}`, 'history-delete', { method: 'DELETE' })).status, 200);
    for (const instance of instances) await eventually(`the run gone from ${instance.name}`, async () => ((await instance.get(`/api/v1/executions/${id}`)).status === 404 ? true : undefined));
  });

  test('the live-events WebSocket upgrades through nginx, stays open and carries the events of runs on every instance', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${proxy.port}/api/v1/executions/events`, undefined, { 'x-request-id': 'socket-0' });
    const events: { type: string; executionId: string }[] = [];
    ws.on('message', (data) => events.push(JSON.parse(String(data))));
    try {
      // every instance has heard of the watcher (it announces its interest over NATS)
      await eventually('interest known on every instance', async () => {
        const known = await Promise.all(instances.map(async (i) => (await i.get('/health/detail')).json?.coordination?.events?.remoteInterests ?? 0));
        return known.filter((n) => n > 0).length >= instances.length - 1 ? true : undefined;
      });
      // quiet for a while: nothing between client and instance closes it
      await sleep(1_500);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await through('/run', `socket-run-${i}`, { method: 'POST', body: { source: 'in x: Int\ny = x + 1\nout y', inputs: { x: i } } });
        assert.equal(r.status, 200, r.text);
        ids.push(r.json.executionId);
      }
      await eventually('a completion event per run', async () => (ids.every((id) => events.some((e) => e.executionId === id && e.type === 'execution:complete')) ? true : undefined));
      assert.equal(ws.readyState, WebSocket.OPEN);
    } finally {
      ws.close();
    }
    const [upgrade] = await proxy.logged('socket-0', 1);
    assert.equal(upgrade?.status, 101, 'upgraded');
    assert.equal(new Set((await proxy.logged('socket-run-', 3)).map(served)).size, 3, 'the runs ran on all three instances');
  });

  test('an execution suspended through nginx resumes through nginx on another instance', async () => {
    const SUM = 'in a: Int\nin b: Int\ns = a + b\nout s\n';
    for (let i = 0; i < 3; i++) {
      const s = await through('/run', `suspend-${i}`, { method: 'POST', body: { source: SUM, inputs: { a: i } } });
      assert.equal(s.status, 200, s.text);
      assert.equal(s.json.status, 'suspended', s.text);
      const r = await through(`/executions/${s.json.executionId}/resume`, `resume-${i}`, { method: 'POST', body: { additionalInputs: { b: 10 } } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.status, 'completed', r.text);
      assert.deepEqual(r.json.outputs, { s: i + 10 });
    }
    const log = await proxy.logged('resume-', 3);
    const at = (id: string) => served(proxy.accesses().find((e) => e.requestId === id)!);
    for (let i = 0; i < 3; i++) assert.notEqual(at(`suspend-${i}`), at(`resume-${i}`), `saved and resumed on different instances (${i})`);
    assert.equal(new Set(log.map(served)).size, 3, 'each instance resumed one');
  });

  test('the strategies: least_conn uses every instance, weighted follows its weights, ip_hash keeps a client on one', async () => {
    const address = new Map([...names].map(([addr, name]) => [name, addr]));
    for (const strategy of ['least-conn', 'weighted', 'ip-hash']) {
      const upstream = readRepoFile(`deploy/nginx/strategies/${strategy}.conf`).replace(/^#.*\n/gm, '').trim();
      const local = mapUpstreams(upstream, (hostPort) => address.get(hostPort.split(':')[0]!)!);
      const p = await startNginx(join(dir, strategy), site.replace(/upstream constellation \{[^}]*\}/, local));
      try {
        for (let i = 0; i < 10; i++) assert.equal((await call(p.port, '/pipelines', `${strategy}-${i}`)).status, 200);
        const counts = countBy((await p.logged(`${strategy}-`, 10)).map(served));
        if (strategy === 'least-conn') assert.equal(counts.size, 3, 'one request at a time: every instance in turn');
        if (strategy === 'ip-hash') assert.equal(counts.size, 1, 'one client address');
        if (strategy === 'weighted') {
          const weights = [...upstream.matchAll(/server (\S+?):\d+ weight=(\d+)/g)].map((m) => [m[1]!, Number(m[2])] as const);
          const total = weights.reduce((n, [, w]) => n + w, 0);
          assert.equal(10 % total, 0, 'whole rounds');
          for (const [name, weight] of weights) assert.equal(counts.get(name), (10 / total) * weight, `${name}: weight ${weight}`);
        }
      } finally {
        await p.stop();
      }
    }
  });

  test('SIGTERM to one instance under load: every request answered, GETs retried elsewhere, POSTs that reached it 503, none run twice', async (t) => {
    const victim = instances.find((i) => i.name === SERVICES[1]!.name)!;
    const victimAddress = `127.0.0.1:${victim.port}`;
    // work in flight keeps it draining for a couple of seconds
    const slow = [0, 1].map((i) => call(victim.port, '/run', `slow-${i}`, { method: 'POST', body: { source: 'in ms: Int\nr = Sleep(ms)\nout r', inputs: { ms: 3_500 } } }));
    await eventually('the slow runs in flight', async () => ((await victim.get('/metrics')).json?.server?.executions_inflight >= 2 ? true : undefined));

    interface Outcome {
      readonly id: string;
      readonly method: string;
      readonly reply?: Reply;
      readonly error?: string;
    }
    const outcomes: Outcome[] = [];
    let stopped = false;
    let n = 0;
    /**
     * One client: a request, a 25 ms pause, the next (three or four of them: about 100 requests
     * a second). Which request comes next is drawn at random, so round-robin cannot line one
     * client up with one instance.
     */
    const client = async (next: () => { method: string; send: (id: string) => Promise<Reply> }) => {
      while (!stopped) {
        const id = `load-${n++}`;
        const { method, send } = next();
        try {
          outcomes.push({ id, method, reply: await send(id) });
        } catch (e) {
          outcomes.push({ id, method, error: e instanceof Error ? e.message : String(e) });
        }
        await sleep(25);
      }
    };
    const post = { method: 'POST', send: (id: string) => through('/run', id, { method: 'POST', body: { source: CALL, inputs: { id } } }) };
    const list = { method: 'GET', send: (id: string) => through('/pipelines', id) };
    const readiness = { method: 'GET', send: (id: string) => through('/health/ready', id) };
    const mixed = () => (Math.random() < 2 / 3 ? post : list);
    const clients = [client(mixed), client(mixed), client(mixed)];
    await sleep(300);
    victim.child.kill('SIGTERM');
    // POSTs meet the draining instance first (a few of them, or for 2 s); then readiness GETs,
    // which it answers 503 and nginx retries elsewhere (after which nginx leaves it alone for
    // fail_timeout: a POST answered 503 does not count as a failure, a GET retried does)
    const refusedSoFar = () => outcomes.filter((o) => o.method === 'POST' && o.reply?.status === 503).length;
    for (const until = Date.now() + 2_000; refusedSoFar() < 3 && Date.now() < until; ) await sleep(25);
    clients.push(client(() => readiness));
    const code = await victim.exited;
    await sleep(500);
    stopped = true;
    await Promise.all(clients);

    assert.equal(code, 0, `drained and exited: ${victim.stderr()}`);
    for (const r of await Promise.all(slow)) assert.equal(r.status, 200, `the work in flight finished: ${r.text}`);
    assert.deepEqual(outcomes.filter((o) => o.error).map((o) => `${o.id}: ${o.error}`), [], 'every request got a response');
    const gets = outcomes.filter((o) => o.method === 'GET');
    const posts = outcomes.filter((o) => o.method === 'POST');
    for (const o of gets) assert.equal(o.reply!.status, 200, `${o.id}: ${o.reply!.text}`);
    const log = new Map((await proxy.logged('load-', outcomes.length)).map((e) => [e.requestId, e]));

    // every POST ran at most once, and exactly once when it was answered 200: the dependency counts
    const refused = posts.filter((o) => o.reply!.status !== 200);
    assert.ok(refused.length > 0, 'POSTs reached the draining instance');
    for (const o of refused) {
      assert.equal(o.reply!.status, 503, `${o.id}: ${o.reply!.text}`);
      assert.equal(o.reply!.json?.error, 'ShuttingDown', o.reply!.text);
      assert.equal(log.get(o.id)?.upstreams.at(-1), victimAddress, `${o.id}: refused by the draining instance`);
    }
    for (const o of posts) {
      assert.equal(dep.calls(o.id), o.reply!.status === 200 ? 1 : 0, `${o.id} (${o.reply!.status}): runs of its module`);
      const sentTo = log.get(o.id)!.upstreamStatuses.filter((s) => s !== 502);
      assert.equal(sentTo.length, 1, `${o.id}: sent to one instance (${log.get(o.id)!.upstreams.join(', ')})`);
    }
    for (const o of posts.slice(-4)) assert.equal(o.reply!.status, 200, `${o.id}: the other two serve everything once it is gone`);

    // a GET that met the draining instance (readiness 503, or its closed port) was answered by another
    const retried = [...log.values()].filter((e) => e.method === 'GET' && e.upstreams.length > 1);
    assert.ok(retried.length > 0, 'GETs reached the draining instance and were retried');
    for (const e of retried) {
      assert.equal(e.upstreams[0], victimAddress, `${e.requestId}: first tried on the draining instance`);
      assert.notEqual(e.upstreams.at(-1), victimAddress, `${e.requestId}: answered by another`);
    }
    t.diagnostic(`${outcomes.length} requests (${posts.length} POSTs), ${refused.length} POSTs refused by the draining instance, ${retried.length} GETs retried elsewhere`);
  });
});
