import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { tempDir } from '../helpers/http.js';
import { callRegister, killProviders, rawClient, run, S, startEngine, startKitProvider, type EngineServer } from './support.js';

/**
 * TLS on the provider port, with client certificates checked against a CA (mutual TLS), and an
 * executor served over TLS that the engine verifies with the same CA. Certificates are made for
 * the test with openssl (an EC CA, a certificate for 127.0.0.1, a provider client certificate).
 */

let dir: string;
let engine: EngineServer;
const file = (name: string) => join(dir, name);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function certificate(name: string, subject: string, san?: string): void {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  const args = ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2'];
  if (san) {
    writeFileSync(file(`${name}.ext`), `subjectAltName=${san}\n`);
    args.push('-extfile', `${name}.ext`);
  }
  openssl(args);
}

before(async () => {
  dir = tempDir('constellation-tls-');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=constellation-test-ca']);
  certificate('server', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
  certificate('client', '/CN=provider');
  engine = await startEngine({ CONSTELLATION_PROVIDER_TLS_CERT: file('server.crt'), CONSTELLATION_PROVIDER_TLS_KEY: file('server.key'), CONSTELLATION_PROVIDER_TLS_CA: file('ca.crt') });
});

after(async () => {
  await killProviders();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = { namespace: 'tls.raw', protocolVersion: 1, executorUrl: '127.0.0.1:9', modules: [{ name: 'A', inputSchema: S, outputSchema: S }] };

describe('mutual TLS on the provider port', () => {
  test('a provider with a client certificate registers, and its TLS executor is called and verified', async () => {
    const p = await startKitProvider({
      namespace: 'secure',
      servers: [engine.grpcAddress],
      tls: { ca: file('ca.crt'), cert: file('client.crt'), key: file('client.key') },
      executorTls: { cert: file('server.crt'), key: file('server.key') },
    });
    const r = await run(engine, 'x = secure.Echo("over tls")\nout x');
    assert.equal(r.json.status, 'completed', r.text);
    assert.equal(r.json.outputs.x.text, 'over tls');
    p.kill();
    await p.exited;
  });

  test('without a client certificate, or in plaintext, the port refuses', async () => {
    const noCert = rawClient(engine.grpcAddress, grpc.credentials.createSsl(readFileSync(file('ca.crt'))));
    const plain = rawClient(engine.grpcAddress);
    try {
      const a = await callRegister(noCert, request);
      assert.equal(a.error?.code, grpc.status.UNAVAILABLE);
      const b = await callRegister(plain, request);
      assert.equal(b.error?.code, grpc.status.UNAVAILABLE);
    } finally {
      noCert.close();
      plain.close();
    }
    assert.equal((await engine.get('/providers')).json.providers.length, 0);
  });

  test('a client certificate from the right CA registers with a raw client too', async () => {
    const client = rawClient(engine.grpcAddress, grpc.credentials.createSsl(readFileSync(file('ca.crt')), readFileSync(file('client.key')), readFileSync(file('client.crt'))));
    try {
      const { error, response } = await callRegister(client, request);
      assert.equal(error, null);
      assert.equal(response.success, true);
    } finally {
      client.close();
    }
  });
});
