import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { startLoad } from '../../bench/keepalive-load.js';
import { deadline, FAULTS_JS, request, sleep, spawnServer, tempDir, type Reply } from '../helpers/http.js';

/**
 * Graceful shutdown of the real process: SIGTERM while slow executions run →
 * every in-flight request completes with its outputs; meanwhile readiness is 503 and a new
 * execution is refused with 503 ShuttingDown; the process exits 0. With a short drain timeout,
 * the remaining executions are cancelled and still answered, and the exit code is still 0.
 */

const SLEEP = 'in ms: Int\nr = Sleep(ms)\nout r\n';

function env(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CONSTELLATION_PORT: '0',
    CONSTELLATION_HOST: '127.0.0.1',
    CONSTELLATION_DATA_DIR: dataDir,
    CONSTELLATION_MODULES: FAULTS_JS,
    CONSTELLATION_WORKERS: '2',
    ...extra,
  };
}

/** Waits until the server reports `n` executions running (so the signal surely finds them in flight). */
async function untilInflight(port: number, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const m = await request(port, '/metrics');
    if ((m.json?.server?.executions_inflight ?? 0) >= n) return;
    await sleep(20);
  }
  throw new Error(`never saw ${n} executions in flight`);
}

const isRefused = (e: unknown) => {
  const code = (e as { code?: string }).code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE';
};

describe('graceful drain of the real process', () => {
  test('SIGTERM: in-flight runs finish with outputs, readiness and new runs get 503, exit code 0', async () => {
    const dataDir = tempDir();
    const srv = await spawnServer(env(dataDir));
    try {
      const runs: Promise<Reply>[] = [];
      let finished = 0;
      for (let i = 0; i < 4; i++) {
        const p = request(srv.port, '/run', { method: 'POST', body: { source: SLEEP, inputs: { ms: 800 + i * 50 } }, headers: { 'x-request-id': `slow-${i}` } });
        void p.then(() => finished++, () => finished++);
        runs.push(p);
      }
      await untilInflight(srv.port, 4);
      assert.equal(finished, 0, 'the slow runs are still in flight');
      assert.equal((await request(srv.port, '/health/ready')).status, 200);
      srv.child.kill('SIGTERM');
      await sleep(50);

      // during the drain: probes answer, new executions are refused
      const ready = await request(srv.port, '/health/ready');
      assert.equal(ready.status, 503, ready.text);
      assert.deepEqual(ready.json, { status: 'not_ready' });
      const health = await request(srv.port, '/health');
      assert.equal(health.status, 503);
      assert.deepEqual(health.json, { status: 'draining' });
      assert.equal((await request(srv.port, '/health/live')).status, 200);
      const refused = await request(srv.port, '/run', { method: 'POST', body: { source: SLEEP, inputs: { ms: 10 } }, headers: { 'x-request-id': 'late-1' } });
      assert.equal(refused.status, 503, refused.text);
      assert.deepEqual(refused.json, { error: 'ShuttingDown', message: 'Server is shutting down', requestId: 'late-1' });
      assert.equal(finished, 0, 'the checks above ran while the slow runs were in flight');

      // a further request may race with the listener closing: refused only once everything finished
      const racer = request(srv.port, '/run', { method: 'POST', body: { source: SLEEP, inputs: { ms: 10 } } }).then(
        (r) => ({ status: r.status, error: undefined, finishedThen: finished }),
        (e: unknown) => ({ status: 0, error: e, finishedThen: finished }),
      );

      const replies = await Promise.all(runs);
      replies.forEach((r, i) => {
        assert.equal(r.status, 200, `run ${i}: ${r.text}`);
        assert.equal(r.json.success, true, r.text);
        assert.equal(r.json.status, 'completed');
        assert.deepEqual(r.json.outputs, { r: 800 + i * 50 });
        assert.equal(r.headers['x-request-id'], `slow-${i}`);
      });

      const late = await racer;
      if (late.error === undefined) assert.equal(late.status, 503);
      else {
        assert.ok(isRefused(late.error), String(late.error));
        assert.equal(late.finishedThen, 4, 'connection refused only after the in-flight requests finished');
      }

      const code = await Promise.race([srv.exited, deadline(10_000, 'timeout')]);
      assert.equal(code, 0, `exit code; stderr: ${srv.stderr()}`);
      const lines = srv.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { message: string; signal?: string });
      assert.ok(lines.some((l) => l.message === 'shutdown requested' && l.signal === 'SIGTERM'), 'logged the signal');
      assert.ok(lines.some((l) => l.message === 'stopped'), 'logged the stop');
    } finally {
      srv.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('SIGTERM with nothing in flight exits 0 promptly', async () => {
    const dataDir = tempDir();
    const srv = await spawnServer(env(dataDir));
    try {
      assert.equal((await request(srv.port, '/health')).status, 200);
      const t0 = performance.now();
      srv.child.kill('SIGTERM');
      const code = await Promise.race([srv.exited, deadline(10_000, 'timeout')]);
      assert.equal(code, 0, srv.stderr());
      assert.ok(performance.now() - t0 < 5_000);
    } finally {
      srv.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('drain timeout: the long execution is cancelled, its request still answered, exit code 0', async () => {
    const dataDir = tempDir();
    const srv = await spawnServer(env(dataDir, { CONSTELLATION_DRAIN_TIMEOUT: '300ms' }));
    try {
      const long = request(srv.port, '/run', { method: 'POST', body: { source: SLEEP, inputs: { ms: 20_000 } } });
      await untilInflight(srv.port, 1);
      const t0 = performance.now();
      srv.child.kill('SIGINT');
      const r = await long;
      const elapsed = performance.now() - t0;
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.success, false, r.text);
      assert.equal(r.json.status, 'failed');
      assert.equal(typeof r.json.error, 'string');
      assert.ok(elapsed < 5_000, `answered ${elapsed} ms after the signal (drain timeout 300 ms)`);
      const code = await Promise.race([srv.exited, deadline(10_000, 'timeout')]);
      assert.equal(code, 0, srv.stderr());
      assert.ok(srv.stdout().includes('drain timeout reached'), 'logged the cancellation');
    } finally {
      srv.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('SIGTERM under load: every request gets 200, or 503 with Connection: close; none is reset; exit within the drain timeout', async () => {
    const dataDir = tempDir();
    const srv = await spawnServer(env(dataDir, { CONSTELLATION_DRAIN_TIMEOUT: '1s' }));
    try {
      const body = JSON.stringify({ source: SLEEP, inputs: { ms: 30 } });
      // clients that read Connection: close go elsewhere (behind a balancer); bench/drain.js
      // measures clients that come straight back
      const load = startLoad({ port: srv.port, connections: 16, leaveOnClose: true, request: `POST /run HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n${body}` });
      // one execution outlives the drain timeout and is cancelled
      const long = request(srv.port, '/run', { method: 'POST', body: { source: SLEEP, inputs: { ms: 20_000 } } });
      for (let i = 0; i < 250 && load.outcome.ok <= 16; i++) await sleep(20);
      assert.ok(load.outcome.ok > 16, `load is running: ${JSON.stringify(load.outcome)}`);
      const t0 = performance.now();
      srv.child.kill('SIGTERM');
      const code = await Promise.race([srv.exited, deadline(10_000, 'timeout')]);
      const exitMs = performance.now() - t0;
      assert.equal(code, 0, srv.stderr());
      assert.ok(exitMs < 1_000 + 1_500, `exited ${Math.round(exitMs)} ms after SIGTERM (drain timeout 1 s)`);
      assert.equal((await long).status, 200);
      await Promise.race([load.ended, sleep(3_000)]);
      await load.stop();
      const o = load.outcome;
      assert.equal(o.reset, 0, `requests lost to a reset: ${JSON.stringify(o)}`);
      assert.equal(o.refusedOpen, 0, `503 without Connection: close: ${JSON.stringify(o)}`);
      assert.equal(o.other, 0, JSON.stringify(o));
      assert.equal(o.okClosing + o.closing, 16, `every client read Connection: close (and left): ${JSON.stringify(o)}`);
    } finally {
      srv.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('npm start: SIGTERM to npm stops the server too (no orphan)', async () => {
    const dataDir = tempDir();
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    // --ignore-scripts skips the prestart build (the tests run on a built tree), not the script
    const npm = spawn('npm', ['start', '--ignore-scripts', '--silent'], {
      cwd: root,
      env: { ...process.env, ...env(dataDir), CONSTELLATION_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const npmExited = new Promise((resolve) => npm.on('close', resolve));
    let serverPid: number | undefined;
    try {
      for (let i = 0; i < 300 && !out.includes('listening'); i++) await sleep(50);
      assert.ok(out.includes('listening'), `the server started: ${out}`);
      const children = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      const descendants = (pid: number): number[] => children(pid).flatMap((c) => [c, ...descendants(c)]);
      serverPid = descendants(npm.pid!).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('server/main.js'));
      assert.ok(serverPid !== undefined, 'found the server process under npm');
      npm.kill('SIGTERM');
      await Promise.race([npmExited, sleep(10_000)]);
      const alive = () => {
        try {
          process.kill(serverPid!, 0);
          return true;
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 100 && alive(); i++) await sleep(50);
      assert.equal(alive(), false, 'the server exited with npm');
    } finally {
      npm.kill('SIGKILL');
      if (serverPid !== undefined) {
        try {
          process.kill(serverPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
