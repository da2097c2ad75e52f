import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CLUSTER_NAME_PATTERN } from './config.js';

/**
 * Names on the coordination plane:
 *
 * - subjects `cst.<cluster>.<area>.<…>`; a token never holds `.`, `*`, `>` or whitespace, so any
 *   user-supplied name (a module name, a pipeline alias) is encoded first (`encodeName`);
 * - KV buckets `cst_<cluster>_<purpose>` (`[A-Za-z0-9_-]` only), the Object Store `cst_<cluster>_blobs`;
 * - KV keys: structural hashes and execution ids as they are (hex, UUIDs), aliases encoded,
 *   the syntactic index as `<syntacticHash>.<dependencyHash>`;
 * - instance ids `<host>-<pid>-<8 base32 chars>`: unique, subject-safe, never reused.
 *
 * The encoding is base64url without padding of the UTF-8 bytes: reversible, and its alphabet
 * (`A-Z a-z 0-9 - _`) is valid in subject tokens, KV keys and bucket names alike.
 */

export function encodeName(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

/** The name an encoded token stands for; `undefined` if it is not one `encodeName` produces. */
export function decodeName(token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const name = Buffer.from(token, 'base64url').toString('utf8');
  return encodeName(name) === token ? name : undefined;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `<short hostname, sanitised>-<pid>-<8 random base32 chars>`. */
export function newInstanceId(host = hostname(), pid = process.pid): string {
  const short = (host.split('.')[0] ?? '').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 32) || 'host';
  const bytes = randomBytes(8);
  let suffix = '';
  for (const b of bytes) suffix += BASE32[b & 31];
  return `${short}-${pid}-${suffix}`;
}

const INSTANCE_ID = /^[A-Za-z0-9_-]{1,80}$/;

export function isInstanceId(text: string): boolean {
  return INSTANCE_ID.test(text);
}

/** KV key rules: `[-/_=.A-Za-z0-9]+`, not starting or ending with `.`, not starting with `_kv`. */
const KV_KEY = /^[-/_=.A-Za-z0-9]+$/;
/** Keys become subjects; longer keys than this are refused rather than risking the server's line limit. */
export const MAX_KEY_LENGTH = 1024;

export function isValidKey(key: string): boolean {
  return key.length <= MAX_KEY_LENGTH && KV_KEY.test(key) && !key.startsWith('.') && !key.endsWith('.') && !key.startsWith('_kv');
}

/** Bucket purposes of this layer; later layers add their own (breaker snapshots, results…). */
export type BucketPurpose =
  | 'members' | 'images' | 'aliases' | 'versions' | 'syntactic' | 'canary'
  | 'suspended' | 'suspended_idx' | 'cb' | 'blobs' | (string & {});

/** All names of one cluster. */
/** Encoded names remembered (beyond it the memo starts again: names come from clients). */
const MAX_REMEMBERED_KEYS = 10_000;

export class ClusterNames {
  readonly prefix: string;
  private readonly keys = new Map<string, string>();

  constructor(readonly cluster: string) {
    if (!CLUSTER_NAME_PATTERN.test(cluster)) throw new Error(`invalid cluster name '${cluster}': use 1–32 characters of A-Z, a-z, 0-9, '_' and '-'`);
    this.prefix = `cst.${cluster}`;
  }

  /** KV bucket (or Object Store) name. */
  bucket(purpose: BucketPurpose): string {
    return `cst_${this.cluster}_${purpose}`;
  }

  /** Membership heartbeats. */
  get heartbeats(): string {
    return `${this.prefix}.members.hb`;
  }

  /** Uses of anonymous pipeline images (so no instance evicts an image another one uses). */
  get imageUses(): string {
    return `${this.prefix}.images.used`;
  }

  /** Owner-addressed requests to one instance; `suffix` may hold several tokens. */
  instance(instanceId: string, suffix?: string): string {
    if (!isInstanceId(instanceId)) throw new Error(`invalid instance id '${instanceId}'`);
    return suffix ? `${this.prefix}.inst.${instanceId}.${suffix}` : `${this.prefix}.inst.${instanceId}.>`;
  }

  /** Control of running executions (cancel, status): one subject, answered by the owner. */
  get executionControl(): string {
    return `${this.prefix}.exec.ctl`;
  }

  /** Live events of one execution (`*` for every execution). */
  executionEvents(executionId: string | '*'): string {
    return `${this.prefix}.exec.${executionId === '*' ? '*' : encodeName(executionId)}.events`;
  }

  /** Which executions some instance's event subscribers watch (so owners publish only those). */
  get executionInterest(): string {
    return `${this.prefix}.exec.interest`;
  }

  /** Per-module failure and success counts for aggregate breaker tripping. */
  get breakerDeltas(): string {
    return `${this.prefix}.cbdeltas`;
  }

  /** Failures (and resetting successes) of one module's calls, for the shared count (`*` for all). */
  breakerOutcomes(module: string | '*'): string {
    return `${this.prefix}.cbo.${module === '*' ? '*' : encodeName(module)}`;
  }

  /** Circuit-breaker transitions of one module (`*` for all). */
  breaker(module: string | '*'): string {
    return `${this.prefix}.cb.${module === '*' ? '*' : encodeName(module)}`;
  }

  /** Cache invalidations of one cache (`*` for all). */
  invalidation(cache: string | '*'): string {
    return `${this.prefix}.inv.${cache === '*' ? '*' : encodeName(cache)}`;
  }

  /** The KV key of a pipeline name (aliases, versions, canary state). */
  nameKey(name: string): string {
    const key = this.keyOf(name);
    if (key === undefined) throw new Error(`name too long for a KV key (${name.length} characters)`);
    return key;
  }

  /**
   * `nameKey`, or `undefined` for a name no key can hold. Memoised: a canary lookup on the
   * `/execute` path asks for the key of the same few names again and again.
   */
  keyOf(name: string): string | undefined {
    let key = this.keys.get(name);
    if (key === undefined) {
      const encoded = encodeName(name);
      if (!isValidKey(encoded)) return undefined;
      key = encoded;
      if (this.keys.size >= MAX_REMEMBERED_KEYS) this.keys.clear();
      this.keys.set(name, key);
    }
    return key;
  }

  /** The KV key of the shared syntactic index. */
  syntacticKey(syntacticHash: string, dependencyHash: string): string {
    return `${syntacticHash}.${dependencyHash}`;
  }
}
