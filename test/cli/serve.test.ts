import assert from 'node:assert/strict';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { Scratch } from './support.js';

/** `constellation serve`: starts the real server (server/main.ts) with flags over CONSTELLATION_*. */

describe('constellation serve', () => {
  let s: Scratch;
  before(async () => {
    s = await Scratch.create();
  });
  after(() => s.remove());

  test('--port 0 --data-dir: serves, answers `server health`, drains on SIGTERM with exit 0', async () => {
    const child = s.spawn(['serve', '--port', '0', '--data-dir', 'srv-data', '--json'], { CONSTELLATION_HOST: '127.0.0.1', CONSTELLATION_LOG_LEVEL: 'info', CONSTELLATION_PORT: '1' });
    const exited = once(child, 'exit');
    try {
      let log = '';
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line in:\n${log}`)), 20_000);
        child.stdout!.on('data', (chunk: Buffer) => {
          log += chunk.toString();
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code}:\n${log}`)));
      });
      assert.notEqual(port, 1, '--port overrides CONSTELLATION_PORT');
      assert.ok(log.split('\n')[0]!.startsWith('{'), '--json: JSON log lines');
      assert.ok((await stat(s.path('srv-data'))).isDirectory(), '--data-dir is used');
      const health = await s.run(['server', 'health', '--server', `http://127.0.0.1:${port}`]);
      assert.equal(health.code, 0, health.stderr);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await exited;
    assert.equal(code, 0);
  });

  test('a bad --port or a bad CONSTELLATION_* value is a usage error', async () => {
    const port = await s.run(['serve', '--port', '70000']);
    assert.equal(port.code, 10);
    assert.match(port.stderr, /--port must be a port number/);
    const env = await s.run(['serve'], { env: { CONSTELLATION_PORT: 'abc' } });
    assert.equal(env.code, 10);
    assert.match(env.stderr, /CONSTELLATION_PORT/);
    assert.equal((await s.run(['serve', 'now'])).code, 10);
  });
});
