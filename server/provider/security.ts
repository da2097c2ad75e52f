import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { ProviderTls } from './config.js';

/**
 * Optional protection of the provider port, off by default so the reference SDKs work as
 * written:
 * - a shared secret (`CONSTELLATION_PROVIDER_TOKEN`): every Register, Deregister and
 *   ControlPlane call must carry `authorization: Bearer <token>` (else UNAUTHENTICATED); the
 *   engine sends the same header on its calls to executors, so providers can check them too;
 * - TLS (`CONSTELLATION_PROVIDER_TLS_CERT` / `_KEY`), with client certificates required and
 *   checked against `CONSTELLATION_PROVIDER_TLS_CA` when it is set (mutual TLS). Executors stay
 *   plaintext unless a provider registers with `constellation-executor-tls: true`; they are then
 *   verified with the same CA (or the system's roots).
 */

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Does the call carry the shared secret? (Always, when none is configured.) */
export function tokenAccepted(expected: string | null, metadata: grpc.Metadata): boolean {
  if (expected === null) return true;
  const value = metadata.get('authorization')[0];
  if (typeof value !== 'string') return false;
  const m = /^Bearer\s+(.+)$/i.exec(value.trim());
  if (!m) return false;
  // compare digests: equal length, constant time
  return timingSafeEqual(digest(m[1]!), digest(expected));
}

export interface PortCredentials {
  readonly server: grpc.ServerCredentials;
  /** The CA for TLS executors, if one is configured. */
  readonly ca: Buffer | undefined;
}

/** Reads the PEM files; throws with the file named when one cannot be read. */
export function portCredentials(tls: ProviderTls | null): PortCredentials {
  if (!tls) return { server: grpc.ServerCredentials.createInsecure(), ca: undefined };
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`provider TLS: cannot read the ${what} '${file}': ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const cert = read(tls.certFile, 'certificate (CONSTELLATION_PROVIDER_TLS_CERT)');
  const key = read(tls.keyFile, 'key (CONSTELLATION_PROVIDER_TLS_KEY)');
  const ca = tls.caFile ? read(tls.caFile, 'CA (CONSTELLATION_PROVIDER_TLS_CA)') : undefined;
  return { server: grpc.ServerCredentials.createSsl(ca ?? null, [{ private_key: key, cert_chain: cert }], ca !== undefined), ca };
}
