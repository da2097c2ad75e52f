import type { KV, KvOptions, ObjectStore, StreamInfo } from 'nats';
import type { ClusterConnection } from './connection.js';
import { errorText, type ClusterLogger } from './log.js';
import type { BucketPurpose, ClusterNames } from './naming.js';

/**
 * The cluster's JetStream KV buckets and Object Store: created on first use with the cluster's
 * replica count, bound when they exist, and brought to the configured limits when they were
 * created with others (a changed retention, say). Handles stay valid across reconnects (the
 * client keeps the same connection object).
 *
 * Bucket statistics for /health/detail are read in the background (`refreshStatus`), so a
 * health probe never waits on NATS.
 *
 * Buckets are created without "direct get": every read goes through the stream leader, so a
 * read that precedes a compare-and-set sees the latest write (direct gets may be served by a
 * lagging replica). Nothing on the request path reads a bucket, so the slower read costs
 * nothing that matters.
 */

export interface BucketSpec {
  readonly purpose: BucketPurpose;
  readonly description: string;
  /** Values kept per key (1 = latest only). */
  readonly history?: number;
  /** Max age of an entry (0 = forever). nats-server 2.9 expires entries silently: no watch event. */
  readonly ttlMs?: number;
  readonly maxValueBytes?: number;
  /** Max total bytes (-1 = unbounded). */
  readonly maxBytes?: number;
}

export interface BucketStatus {
  readonly bucket: string;
  readonly kind: 'kv' | 'objects';
  readonly values: number;
  readonly bytes: number;
  readonly replicas: number;
  /** Replicas known to be current (`replicas` on a single server). */
  readonly currentReplicas: number;
  readonly leader: string | null;
  readonly ttlMs: number;
  /** Epoch ms of the reading. */
  readonly readAt: number;
  readonly error: string | null;
}

const NANOS_PER_MS = 1_000_000;

export class Buckets {
  private readonly kvs = new Map<string, Promise<KV>>();
  private readonly specs = new Map<string, BucketSpec>();
  private objects: Promise<ObjectStore> | undefined;
  private readonly statuses = new Map<string, BucketStatus>();

  constructor(
    private readonly connection: ClusterConnection,
    private readonly names: ClusterNames,
    private readonly replicas: number,
    /** Bound of one JetStream request; opening a bucket may take a few. */
    private readonly opTimeout: number,
    private readonly logger: ClusterLogger,
  ) {}

  /**
   * The KV bucket of `spec`, created or bound on first use (CoordinationUnavailable when NATS is
   * away). Synchronisation opens every bucket with a generous `timeoutMs` (creating a replicated
   * stream takes a while); the request path then finds them open.
   */
  kv(spec: BucketSpec, timeoutMs = this.opTimeout): Promise<KV> {
    const name = this.names.bucket(spec.purpose);
    let kv = this.kvs.get(name);
    if (!kv) {
      this.specs.set(name, spec);
      kv = this.connection.shared(`open bucket ${name}`, () => this.open(name, spec), timeoutMs);
      kv.catch(() => this.kvs.delete(name));
      this.kvs.set(name, kv);
    }
    return kv;
  }

  private async open(name: string, spec: BucketSpec): Promise<KV> {
    const js = this.connection.jetstream(`open bucket ${name}`);
    const options: Partial<KvOptions> = {
      description: spec.description,
      history: spec.history ?? 1,
      replicas: this.replicas,
      allow_direct: false,
      timeout: this.opTimeout,
      ...(spec.ttlMs ? { ttl: spec.ttlMs } : {}),
      ...(spec.maxValueBytes ? { maxValueSize: spec.maxValueBytes } : {}),
      ...(spec.maxBytes ? { max_bytes: spec.maxBytes } : {}),
    };
    const kv = await js.views.kv(name, options);
    await this.reconcile(`KV_${name}`, spec);
    return kv;
  }

  /** Brings an existing bucket's limits to the spec (they only change between releases or configs). */
  private async reconcile(stream: string, spec: BucketSpec): Promise<void> {
    const jsm = await this.connection.jetstreamManager(`inspect ${stream}`);
    const info = await jsm.streams.info(stream);
    const c = info.config;
    const want = {
      max_age: (spec.ttlMs ?? 0) * NANOS_PER_MS,
      max_msgs_per_subject: spec.history ?? 1,
      num_replicas: this.replicas,
      max_bytes: spec.maxBytes ?? -1,
      max_msg_size: spec.maxValueBytes ?? -1,
    };
    const differs = (Object.keys(want) as (keyof typeof want)[]).filter((k) => (c[k] ?? -1) !== want[k]);
    if (differs.length === 0) return;
    try {
      await jsm.streams.update(stream, { ...c, ...want });
      this.logger.info({ bucket: stream, changed: differs }, 'cluster: bucket limits updated to the configuration');
    } catch (e) {
      this.logger.warn({ bucket: stream, differs, err: errorText(e) }, 'cluster: bucket exists with other limits and cannot be updated; using it as it is');
    }
  }

  /** The Object Store for values too big for a KV entry (opened at synchronisation, like the buckets). */
  objectStore(timeoutMs = this.opTimeout): Promise<ObjectStore> {
    if (!this.objects) {
      const name = this.names.bucket('blobs');
      const p = this.connection.shared(
        `open object store ${name}`,
        () => this.connection.jetstream(`open ${name}`).views.os(name, { replicas: this.replicas, description: 'Constellation: values too large for a KV entry' }),
        timeoutMs,
      );
      p.catch(() => (this.objects = undefined));
      this.objects = p;
    }
    return this.objects;
  }

  /** Drops the handles (after a reconnect to a server that may have lost the buckets, they are re-opened). */
  forget(): void {
    this.kvs.clear();
    this.objects = undefined;
  }

  /** Reads the statistics of every opened bucket (background; failures are recorded, not thrown). */
  async refreshStatus(): Promise<void> {
    if (!this.connection.connected) return;
    const streams: [string, 'kv' | 'objects'][] = [...this.specs.keys()].map((n) => [`KV_${n}`, 'kv']);
    if (this.objects) streams.push([`OBJ_${this.names.bucket('blobs')}`, 'objects']);
    let jsm;
    try {
      jsm = await this.connection.jetstreamManager('bucket status');
    } catch {
      return;
    }
    for (const [stream, kind] of streams) {
      const bucket = stream.replace(/^(KV|OBJ)_/, '');
      try {
        const info: StreamInfo = await jsm.streams.info(stream);
        const peers = info.cluster?.replicas ?? [];
        this.statuses.set(bucket, {
          bucket,
          kind,
          values: info.state.messages,
          bytes: info.state.bytes,
          replicas: info.config.num_replicas,
          currentReplicas: info.cluster ? 1 + peers.filter((p) => p.current).length : info.config.num_replicas,
          leader: info.cluster?.leader ?? null,
          ttlMs: Math.round(info.config.max_age / NANOS_PER_MS),
          readAt: Date.now(),
          error: null,
        });
      } catch (e) {
        const before = this.statuses.get(bucket);
        this.statuses.set(bucket, { ...(before ?? { bucket, kind, values: 0, bytes: 0, replicas: this.replicas, currentReplicas: 0, leader: null, ttlMs: 0 }), readAt: Date.now(), error: errorText(e) });
      }
    }
  }

  status(): BucketStatus[] {
    return [...this.statuses.values()].sort((a, b) => a.bucket.localeCompare(b.bucket));
  }
}
