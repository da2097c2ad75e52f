import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../../server/config.js';
import { loadProviderConfig } from '../../server/provider/config.js';

/** The CONSTELLATION_PROVIDER_* variables: the reference's provider settings plus our timers and limits. */

describe('provider configuration', () => {
  test('off unless the port is set or the port is enabled', () => {
    assert.equal(loadProviderConfig({}), null);
    assert.equal(loadProviderConfig({ CONSTELLATION_PROVIDER_ENABLED: 'false' }), null);
    assert.equal(loadProviderConfig({ CONSTELLATION_PROVIDER_ENABLED: 'true' })!.port, 9090);
    assert.equal(loadProviderConfig({ CONSTELLATION_PROVIDER_PORT: '9191' })!.port, 9191);
  });

  test('defaults: the reference timers, a 3 s call timeout, stdlib reserved, plaintext, no secret', () => {
    const c = loadProviderConfig({ CONSTELLATION_PROVIDER_ENABLED: 'true' })!;
    assert.deepEqual(
      [c.callTimeoutMs, c.heartbeatIntervalMs, c.heartbeatTimeoutMs, c.controlPlaneTimeoutMs, c.reportIntervalMs, c.monitorIntervalMs, c.drainGraceMs],
      [3000, 5000, 15000, 30000, 30000, 1000, 5000],
    );
    assert.deepEqual(c.reservedNamespaces, ['stdlib']);
    assert.equal(c.tls, null);
    assert.equal(c.token, null);
    assert.equal(c.host, '0.0.0.0');
  });

  test('durations as bare seconds (the reference) or with units; the reserved list is read', () => {
    const c = loadProviderConfig({
      CONSTELLATION_PROVIDER_PORT: '0',
      CONSTELLATION_PROVIDER_HEARTBEAT_TIMEOUT: '20',
      CONSTELLATION_PROVIDER_CALL_TIMEOUT: '750ms',
      CONSTELLATION_PROVIDER_CONTROL_PLANE_TIMEOUT: '1m',
      CONSTELLATION_PROVIDER_RESERVED_NS: 'stdlib, internal ,ops.private',
      CONSTELLATION_HOST: '127.0.0.1',
    })!;
    assert.equal(c.heartbeatTimeoutMs, 20_000);
    assert.equal(c.callTimeoutMs, 750);
    assert.equal(c.controlPlaneTimeoutMs, 60_000);
    assert.deepEqual(c.reservedNamespaces, ['stdlib', 'internal', 'ops.private']);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(loadProviderConfig({ CONSTELLATION_PROVIDER_PORT: '0', CONSTELLATION_PROVIDER_HOST: '::1', CONSTELLATION_HOST: '127.0.0.1' })!.host, '::1');
  });

  test('bad values stop the start with the variable named', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ CONSTELLATION_PROVIDER_PORT: '70000' }, /CONSTELLATION_PROVIDER_PORT: must be a port number/],
      [{ CONSTELLATION_PROVIDER_PORT: '1', CONSTELLATION_PROVIDER_CALL_TIMEOUT: 'soon' }, /CONSTELLATION_PROVIDER_CALL_TIMEOUT/],
      [{ CONSTELLATION_PROVIDER_PORT: '1', CONSTELLATION_PROVIDER_RESERVED_NS: 'std-lib' }, /'std-lib' is not a namespace/],
      [{ CONSTELLATION_PROVIDER_PORT: '1', CONSTELLATION_PROVIDER_TLS_CERT: '/c.pem' }, /TLS_CERT and CONSTELLATION_PROVIDER_TLS_KEY go together/],
      [{ CONSTELLATION_PROVIDER_PORT: '1', CONSTELLATION_PROVIDER_TLS_CA: '/ca.pem' }, /TLS_CA needs/],
      [{ CONSTELLATION_PROVIDER_PORT: '1', CONSTELLATION_PROVIDER_TOKEN: 'short' }, /at least 16 characters/],
      [{ CONSTELLATION_PROVIDER_ENABLED: 'maybe' }, /CONSTELLATION_PROVIDER_ENABLED/],
    ];
    for (const [env, message] of bad) assert.throws(() => loadProviderConfig(env), (e: unknown) => e instanceof ConfigError && message.test(e.message), JSON.stringify(env));
  });
});
