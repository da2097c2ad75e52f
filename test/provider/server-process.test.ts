import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { request, spawnServer, tempDir } from '../helpers/http.js';
import { eventually, FAST_TIMERS, freePort, killProviders, startKitProvider } from './support.js';

/**
 * The real server process (`npm start`) with the provider port switched on by its variable: a
 * provider registers, its metrics appear in /metrics; on SIGTERM the execution in flight still
 * calls its provider to the end, the server exits 0, and the provider — not told to leave —
 * registers again with the restarted server.
 */

const dirs: string[] = [];
after(async () => {
  await killProviders();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('npm start with CONSTELLATION_PROVIDER_PORT', () => {
  test('serves providers, reports their metrics; on SIGTERM finishes its executions, and providers come back with it', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const grpcPort = await freePort();
    const env = {
      CONSTELLATION_PORT: '0',
      CONSTELLATION_HOST: '127.0.0.1',
      CONSTELLATION_DATA_DIR: dataDir,
      CONSTELLATION_WORKERS: '1',
      ...FAST_TIMERS,
      CONSTELLATION_DRAIN_TIMEOUT: '10s',
    };
    const server = await spawnServer({ ...env, CONSTELLATION_PROVIDER_PORT: String(grpcPort) });
    try {
      const p = await startKitProvider({ namespace: 'proc', servers: [`127.0.0.1:${grpcPort}`] });
      await eventually('the provider to be Active', async () => (await request(server.port, '/providers')).json.providers.some((x: any) => x.state === 'Active'));
      const ok = await request(server.port, '/run', { method: 'POST', body: { source: 'x = proc.Echo("m")\nout x' } });
      assert.equal(ok.json.outputs.x.text, 'm');

      const metrics = (await request(server.port, '/metrics/prometheus')).text;
      assert.match(metrics, /constellation_provider_connections\{state="Active"\} 1/);
      assert.match(metrics, /constellation_provider_registrations_total\{outcome="accepted",reason=""\} 1/);
      assert.match(metrics, /constellation_provider_calls_total\{module="proc.Echo",outcome="ok"\} 1/);
      assert.match(metrics, /constellation_provider_call_duration_seconds_count\{module="proc.Echo"\} 1/);
      assert.match(metrics, /constellation_provider_execution_duration_seconds_count\{module="proc.Echo"\} 1/);
      assert.match(metrics, /constellation_provider_heartbeat_lag_seconds_count [1-9]/);

      // SIGTERM: the execution in flight still reaches its provider (a later node of it too)
      const inFlight = request(server.port, '/run', { method: 'POST', body: { source: 'x = proc.Slow(600)\ny = proc.Echo("after")\nout y' } });
      await p.next('started');
      server.child.kill('SIGTERM');
      const finished = await inFlight;
      assert.equal(finished.json.status, 'completed', finished.text);
      assert.equal(finished.json.outputs.y.text, 'after');
      assert.equal(await server.exited, 0);

      // the provider was not told to leave: it waits for the server to come back, and registers again
      const restarted = await spawnServer({ ...env, CONSTELLATION_PROVIDER_PORT: String(grpcPort) });
      try {
        await eventually('the provider to register again', async () => (await request(restarted.port, '/providers')).json.providers.some((x: any) => x.namespace === 'proc' && x.state === 'Active'), 15_000);
        const again = await request(restarted.port, '/run', { method: 'POST', body: { source: 'x = proc.Echo("back")\nout x' } });
        assert.equal(again.json.outputs.x.text, 'back');
      } finally {
        restarted.child.kill('SIGKILL');
      }
      assert.equal(p.events.some((e) => e.event === 'drained'), false);
      p.kill();
      assert.equal(await p.exited, 0);
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  test('a provider port already in use stops the server at start with a message', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const grpcPort = await freePort();
    const first = await spawnServer({ CONSTELLATION_PORT: '0', CONSTELLATION_HOST: '127.0.0.1', CONSTELLATION_DATA_DIR: dataDir, CONSTELLATION_WORKERS: '1', CONSTELLATION_PROVIDER_PORT: String(grpcPort) });
    try {
      await assert.rejects(
        spawnServer({ CONSTELLATION_PORT: '0', CONSTELLATION_HOST: '127.0.0.1', CONSTELLATION_DATA_DIR: dataDir, CONSTELLATION_WORKERS: '1', CONSTELLATION_PROVIDER_PORT: String(grpcPort) }),
        /cannot open the provider port/,
      );
    } finally {
      first.child.kill('SIGKILL');
    }
  });
});
