import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Entrypoint, Healthcheck } from 'dockerfile-ast';
import { dockerfile, dockerBuildTag, imageEnvironment, imageUser, readRepoFile, REPO, serverSettings, unknownVariables } from '../helpers/deploy.js';
import { BuildContext, ignored, parseDockerignore } from '../helpers/docker-context.js';
import { replay, snapshot, stages, type ReplayedStage } from '../helpers/docker-replay.js';
import { freePort } from '../helpers/nats.js';
import { request, spawnServer, type SpawnedServer } from '../helpers/http.js';

/**
 * deploy/Dockerfile, parsed with dockerfile-ast and held to what the README and the deployment
 * guide promise (two stages, dependencies in their own layer, a numeric non-root user, the two
 * ports, the health check, an exec-form entry point), then replayed without Docker
 * (helpers/docker-replay.ts): the build stage really builds from what it copies, and the
 * runtime stage's files start a server — run from a directory it must not write to — that
 * answers the health check command, serves the dashboard and opens the provider port.
 */

const df = dockerfile();
const [build, runtime] = stages(df);

function only<T>(items: readonly T[], what: string): T {
  assert.equal(items.length, 1, `one ${what}`);
  return items[0]!;
}

function keywordsOf(stage: typeof build) {
  return stage!.instructions.map((i) => i.getKeyword());
}

describe('deploy/Dockerfile', () => {
  test('two stages: the build on the full Node image, the runtime on the slim one, same Node major as package.json', () => {
    assert.equal(stages(df).length, 2);
    assert.equal(build!.name, 'build');
    assert.equal(runtime!.name, 'runtime');
    const engines = JSON.parse(readRepoFile('package.json')).engines.node as string;
    const major = /(\d+)/.exec(engines)![1];
    assert.match(build!.image, new RegExp(`^node:${major}-bookworm$`));
    assert.match(runtime!.image, new RegExp(`^node:${major}-bookworm-slim$`));
  });

  test('dependencies are installed in their own layer, before the sources are copied', () => {
    const lines = build!.instructions.map((i) => `${i.getKeyword()} ${i.getArgumentsContent()}`);
    const manifests = lines.findIndex((l) => l === 'COPY package.json package-lock.json ./');
    const install = lines.findIndex((l) => /^RUN npm ci\b/.test(l));
    const sources = lines.findIndex((l) => l.startsWith('COPY .'));
    assert.ok(manifests >= 0 && manifests < install && install < sources, lines.join('\n'));
  });

  test('the runtime stage runs as the numeric user of a `constellation` system account, never as root', () => {
    const { uid, gid } = imageUser();
    assert.ok(uid > 0 && gid > 0);
    const setup = runtime!.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '').join(' ');
    assert.match(setup, new RegExp(`groupadd --system --gid ${gid} constellation`));
    assert.match(setup, new RegExp(`useradd --system --uid ${uid} --gid constellation\\b`));
    const keywords = keywordsOf(runtime);
    assert.ok(keywords.lastIndexOf('USER') < keywords.indexOf('ENTRYPOINT'), 'USER before the entry point');
    assert.equal(keywords.filter((k) => k === 'USER').length, 1, 'one USER: nothing switches back to root');
    // the files the server runs are root's: it cannot change them, as with a read-only root filesystem
    for (const copy of runtime!.instructions.filter((i) => i.getKeyword() === 'COPY')) {
      assert.doesNotMatch(copy.getArgumentsContent() ?? '', /--chown/, 'code stays owned by root');
    }
  });

  test('environment, ports, volume and entry point agree with the server configuration', () => {
    const env = imageEnvironment();
    assert.deepEqual(unknownVariables(Object.keys(env)), []);
    const { config } = serverSettings(env);
    const provider = serverSettings({ ...env, CONSTELLATION_PROVIDER_ENABLED: 'true' }).provider!;
    const expose = only(runtime!.instructions.filter((i) => i.getKeyword() === 'EXPOSE'), 'EXPOSE').getArguments().map((a) => Number(a.getValue()));
    assert.deepEqual(expose, [config.port, provider.port]);
    const volume = only(runtime!.instructions.filter((i) => i.getKeyword() === 'VOLUME'), 'VOLUME').getArgumentsContent();
    assert.equal(volume, config.dataDir, 'the data directory is the volume');
    const entry = only(df.getENTRYPOINTs(), 'ENTRYPOINT') as Entrypoint;
    const argv = entry.getJSONStrings().map((s) => s.getJSONValue());
    assert.ok(argv.length > 0, 'exec form: node is PID 1 and receives SIGTERM itself');
    assert.deepEqual(argv, ['node', 'dist/server/main.js']);
  });

  test('the health check: every 30 s, 5 s timeout, 3 retries, 30 s start period, on the liveness route', () => {
    const hc = only(df.getHEALTHCHECKs(), 'HEALTHCHECK') as Healthcheck;
    const flags = Object.fromEntries(hc.getFlags().map((f) => [f.getName(), f.getValue()]));
    assert.deepEqual(flags, { interval: '30s', timeout: '5s', retries: '3', 'start-period': '30s' });
    assert.equal(hc.getSubcommand()?.getValue(), 'CMD');
    assert.match(hc.getRawArgumentsContent() ?? '', /curl -fsS "http:\/\/127\.0\.0\.1:\$\{CONSTELLATION_PORT:-8080\}\/health\/live"/);
  });

  test('npm run docker:build builds this file from the repository root', () => {
    const pkg = JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts['docker:build'], `docker build -f deploy/Dockerfile -t ${dockerBuildTag()} .`);
    assert.match(pkg.scripts['docker:run'] ?? '', new RegExp(`-p 8080:8080 -p 9090:9090 .*${dockerBuildTag().replace(/[.:]/g, '\\$&')}$`));
  });

  test('.dockerignore keeps what the build makes, tests, benchmarks and local state out of the context', () => {
    const context = new BuildContext(REPO);
    for (const path of ['node_modules/zod/package.json', 'dist/server/main.js', '.git/HEAD', 'test/run.sh', 'bench/run.ts', 'deploy/Dockerfile', 'README.md', '.data/x']) {
      assert.ok(context.ignored(path), `${path} is kept out`);
    }
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'index.ts', 'server/main.ts', 'server/provider/provider.proto', 'runtime/errors.ts', 'examples/modules/index.ts', 'server/dashboard/ui/main.ts']) {
      assert.ok(!context.ignored(path), `${path} is in the context`);
    }
    // the matcher itself: Docker's rules
    const rules = parseDockerignore('a\n/b/*.log\n**/tmp\n!a/keep\n');
    assert.deepEqual(['a/x', 'a/keep', 'b/x.log', 'b/c/x.log', 'x/y/tmp/z', 'tmp'].map((p) => ignored(rules, p)), [true, false, true, false, true, true]);
  });

  describe('replayed without Docker', () => {
    let root: string;
    let dataDir: string;
    let replayed: Map<string, ReplayedStage>;
    let server: SpawnedServer | undefined;
    let providerPort: number;
    let before_: Map<string, string>;

    before(async () => {
      root = mkdtempSync(join(tmpdir(), 'constellation-image-'));
      dataDir = mkdtempSync(join(tmpdir(), 'constellation-image-data-'));
      replayed = replay(df, root);
      const image = replayed.get('runtime')!;
      before_ = snapshot(image.dir);
      providerPort = await freePort();
      const entry = (only(df.getENTRYPOINTs(), 'ENTRYPOINT') as Entrypoint).getJSONStrings().map((s) => s.getJSONValue());
      server = await spawnServer(
        {
          ...image.env,
          // what `docker run -p … -e CONSTELLATION_PROVIDER_PORT=9090 -v …:/data` changes, on ports and directories free here
          CONSTELLATION_PORT: String(await freePort()),
          CONSTELLATION_HOST: '127.0.0.1',
          CONSTELLATION_PROVIDER_PORT: String(providerPort),
          CONSTELLATION_DATA_DIR: dataDir,
          CONSTELLATION_WORKERS: '1',
        },
        60_000,
        { args: entry.slice(1), cwd: image.dir },
      );
    });
    after(async () => {
      if (server) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
      rmSync(root, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('the build stage built the server and the dashboard from the copied sources alone', () => {
      const stage = replayed.get('build')!;
      for (const f of ['dist/server/main.js', 'dist/actors/worker-entry.cjs', 'dist/server/dashboard/public/index.html', 'dist/examples/modules/index.js']) {
        assert.ok(existsSync(join(stage.dir, f)), `${f} was built`);
      }
      assert.ok(!existsSync(join(stage.dir, 'test')) && !existsSync(join(stage.dir, 'bench')), 'tests and benchmarks stayed out');
    });

    test('the runtime stage holds production dependencies only', () => {
      const image = replayed.get('runtime')!;
      assert.ok(existsSync(join(image.dir, 'node_modules/uWebSockets.js')));
      for (const dev of ['typescript', 'playwright-core', 'kubernetes-models']) assert.ok(!existsSync(join(image.dir, 'node_modules', dev)), `${dev} was pruned`);
      assert.ok(!existsSync(join(image.dir, 'runtime')), 'no sources, only the build');
    });

    test("the health check's command succeeds against the started image", () => {
      const hc = only(df.getHEALTHCHECKs(), 'HEALTHCHECK') as Healthcheck;
      const command = (hc.getRawArgumentsContent() ?? '').replace(/^CMD\s+/, '');
      const port = new URL(server!.base).port;
      const ok = spawnSync('sh', ['-c', command], { env: { PATH: process.env.PATH ?? '', CONSTELLATION_PORT: port }, encoding: 'utf8' });
      assert.equal(ok.status, 0, ok.stderr);
      assert.deepEqual(JSON.parse(ok.stdout), { status: 'alive' });
      // and it fails when nothing answers
      const down = spawnSync('sh', ['-c', command], { env: { PATH: process.env.PATH ?? '', CONSTELLATION_PORT: '1' } });
      assert.notEqual(down.status, 0);
    });

    test('the image serves the API, its example modules and the dashboard, and opens the provider port', async () => {
      const port = server!.port;
      const run = await request(port, '/run', { method: 'POST', body: { source: 'in x: Int\ny = x * 2\nout y', inputs: { x: 21 } } });
      assert.equal(run.status, 200, run.text);
      assert.deepEqual(run.json.outputs, { y: 42 });
      const modules = await request(port, '/modules');
      assert.ok(modules.json.modules.length > 0, 'the example modules are loaded');
      const page = await request(port, '/dashboard');
      assert.equal(page.status, 200);
      const script = /src="([^"]+\.js)"/.exec(page.text)?.[1];
      assert.ok(script, page.text);
      assert.equal((await request(port, script.startsWith('/') ? script : `/dashboard/${script}`)).status, 200, `${script} is served`);
      const connected = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port: providerPort }, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      assert.ok(connected, 'the provider port listens (its .proto file is in the image)');
    });

    test('the server wrote nothing outside the data volume, and stops on SIGTERM with exit code 0', async () => {
      server!.child.kill('SIGTERM');
      assert.equal(await server!.exited, 0, server!.stderr());
      const image = replayed.get('runtime')!;
      const changed = [...snapshot(image.dir)].filter(([path, stat]) => before_.get(path) !== stat).map(([path]) => path);
      assert.deepEqual(changed, [], 'a read-only root filesystem would have refused these writes');
    });
  });
});
