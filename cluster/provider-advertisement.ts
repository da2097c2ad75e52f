import { z } from 'zod';
import { defineEnvelope } from './envelope.js';
import { KvView } from './kv-view.js';
import { errorText } from './log.js';
import { isInstanceId } from './naming.js';
import type { ClusterNode } from './node.js';
import { providerDivergence, type AdvertisedNamespace, type ProviderDivergence, type ProviderDivergenceKind } from './provider-divergence.js';

/**
 * Provider advertisements: each instance with a provider port publishes the providers connected
 * to it — per namespace its group id, executor addresses and modules with a digest of their
 * schemas — under its instance id in the KV bucket `cst_<c>_providers`, and every instance
 * compares the advertisements of the live members (provider-divergence.ts) for /health/detail
 * and /metrics.
 *
 * - Providers register with every instance themselves; nothing here registers, routes or
 *   refuses anything: each instance stays authoritative for its own connections.
 * - An advertisement is rewritten on every change of the instance's providers (coalesced: one
 *   write in flight, the latest state written after it) and every `memberRecordRefreshMs`; the
 *   bucket's max-age is `memberRecordTtlMs`, so a crashed instance's entry expires like its
 *   membership record, and an instance that leaves deletes its own. Entries of instances that
 *   are not live members (dead, gone, unknown) are ignored.
 * - Nothing here is on the request path: the comparison runs when an advertisement or the
 *   membership changes, and the probes read its last result.
 *
 * The server supplies the providers as data (`ProviderSource`); `cluster/` knows nothing of gRPC.
 */

export type { AdvertisedNamespace, ProviderDivergence, ProviderDivergenceKind } from './provider-divergence.js';

/** This instance's providers, as the provider port knows them. */
export interface ProviderSource {
  snapshot(): readonly AdvertisedNamespace[];
  /** Calls `listener` after every change; returns the unsubscription. */
  onChange(listener: () => void): () => void;
}

/** Where a provider port hands its providers to the cluster (the server wires one to the other). */
export interface ProviderAdvertising {
  attach(source: ProviderSource): void;
  /** The provider port closed: this instance no longer advertises (its entry is deleted). */
  detach(): void;
}

export interface ProviderAdvertisementView {
  /** Live instances with a provider port, by id (this one marked `self`). */
  readonly advertising: readonly { instanceId: string; self: boolean; namespaces: number; modules: number; executors: number }[];
  /** Findings in total (the list below is bounded). */
  readonly divergentModules: number;
  readonly byKind: Readonly<Record<ProviderDivergenceKind, number>>;
  readonly divergence: readonly (ProviderDivergence & { readonly since: string })[];
  readonly truncated: boolean;
}

export interface ProviderAdvertisementMetrics {
  readonly advertisingInstances: number;
  readonly divergence: Readonly<Record<ProviderDivergenceKind, number>>;
}

/** Findings and advertising instances listed in the view at most. */
const MAX_LISTED = 50;
/** Executor addresses advertised per namespace at most (a group's members on one instance). */
const MAX_EXECUTORS = 64;

const name = (max: number) => z.string().min(1).max(max);
const advertisedNamespace = z.object({
  namespace: name(256),
  groupId: z.string().max(256),
  executorUrls: z.array(name(512)).max(MAX_EXECUTORS).readonly(),
  modules: z.record(name(256), name(128)).refine((m) => Object.keys(m).length <= 10_000, 'too many modules').readonly(),
});

const advertisement = z.object({ instanceId: z.string().refine(isInstanceId, 'not an instance id'), namespaces: z.array(advertisedNamespace).max(10_000).readonly() });
type Advertisement = z.output<typeof advertisement>;

export const providerAdvertisementEnvelope = defineEnvelope('providers', advertisement, 512 * 1024);

const NO_FINDINGS: Record<ProviderDivergenceKind, number> = { schema: 0, missing: 0, ownership: 0 };

export class ProviderAdvertisement implements ProviderAdvertising {
  private readonly view: KvView<Advertisement>;
  private source: ProviderSource | undefined;
  private unsubscribe: (() => void) | undefined;
  private local: readonly AdvertisedNamespace[] = [];
  /** The bucket holds an entry of ours (to delete when the port closes). */
  private written = false;
  private writing = false;
  private dirty = false;
  private lastWriteError: string | undefined;
  /** A change is read after the provider port's handler returns (off its path; a burst is read once). */
  private readonly queueLocalChange = coalesced(() => {
    if (!this.closed) this.onLocalChange();
  });
  private readonly queueEvaluation = coalesced(() => {
    if (!this.closed) this.evaluate();
  });
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private findings: ProviderDivergence[] = [];
  private readonly firstSeen = new Map<string, number>();
  private advertisers = new Map<string, readonly AdvertisedNamespace[]>();

  constructor(private readonly node: ClusterNode) {
    const ttl = node.config.timers.memberRecordTtlMs;
    this.view = new KvView({
      node,
      spec: { purpose: 'providers', description: 'Constellation: provider advertisements by instance', history: 1, ttlMs: ttl },
      codec: providerAdvertisementEnvelope,
      isKey: isInstanceId,
      maxAgeMs: ttl,
    });
    this.view.onChange(() => this.queueEvaluation());
    node.membership.onPeerChange(() => this.queueEvaluation());
    node.addSynchroniser('provider advertisements', async () => {
      await this.view.synchronise();
      await this.publish();
    });
  }

  /** The refresh timer (the node's own start connects). */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      this.view.pruneExpired();
      void this.publish();
      this.queueEvaluation();
    }, this.node.config.timers.memberRecordRefreshMs);
    this.timer.unref();
  }

  attach(source: ProviderSource): void {
    this.unsubscribe?.();
    this.source = source;
    this.unsubscribe = source.onChange(() => this.queueLocalChange());
    this.onLocalChange();
  }

  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.source = undefined;
    this.local = [];
    void this.publish();
    this.queueEvaluation();
  }

  private onLocalChange(): void {
    if (!this.source) return;
    try {
      this.local = this.source.snapshot().map((ns) => ({ ...ns, executorUrls: [...ns.executorUrls].sort().slice(0, MAX_EXECUTORS) }));
    } catch (e) {
      this.node.logger.warn({ err: errorText(e) }, 'cluster: cannot read this instance’s providers');
      return;
    }
    // provider modules are in the module registry: peers hear of the change with the next beat, not a period later
    this.node.membership.announceModules();
    void this.publish();
    this.queueEvaluation();
  }

  /** Writes this instance's advertisement (or deletes it once there is no port); one write at a time, the latest state last. */
  private async publish(): Promise<void> {
    if (this.writing) {
      this.dirty = true;
      return;
    }
    this.writing = true;
    try {
      do {
        this.dirty = false;
        await this.writeOnce();
      } while (this.dirty && !this.closed);
      this.lastWriteError = undefined;
    } catch (e) {
      const err = errorText(e);
      if (err !== this.lastWriteError) this.node.logger.warn({ err }, 'cluster: provider advertisement not written; retried with the next refresh');
      this.lastWriteError = err;
    } finally {
      this.writing = false;
    }
  }

  private async writeOnce(): Promise<void> {
    if (this.closed || !this.node.connection.connected) return;
    const key = this.node.instanceId;
    if (!this.source) {
      if (this.written) await this.view.delete(key);
      this.written = false;
      return;
    }
    await this.view.put(key, { instanceId: key, namespaces: this.local });
    this.written = true;
  }

  /** Compares the advertisements of the live members (this one's from memory: it is the freshest). */
  private evaluate(): void {
    const self = this.node.instanceId;
    const live = new Set(this.node.membership.livePeers());
    const advertisers = new Map<string, readonly AdvertisedNamespace[]>();
    if (this.source) advertisers.set(self, this.local);
    for (const [id, entry] of this.view.entries()) {
      if (id !== self && live.has(id) && entry.value.instanceId === id) advertisers.set(id, entry.value.namespaces);
    }
    this.advertisers = advertisers;
    const found = providerDivergence(advertisers);
    const now = Date.now();
    const keys = new Set(found.map(findingKey));
    const fresh = found.filter((f) => !this.firstSeen.has(findingKey(f)));
    for (const key of this.firstSeen.keys()) if (!keys.has(key)) this.firstSeen.delete(key);
    for (const f of fresh) this.firstSeen.set(findingKey(f), now);
    if (fresh.length > 0) {
      this.node.logger.warn({ modules: fresh.slice(0, 20).map((f) => `${f.module} (${f.kind})`), total: found.length }, 'cluster: provider modules differ between instances');
    } else if (found.length === 0 && this.findings.length > 0) {
      this.node.logger.info({}, 'cluster: provider modules agree between instances again');
    }
    this.findings = found;
  }

  private counts(): Record<ProviderDivergenceKind, number> {
    const out = { ...NO_FINDINGS };
    for (const f of this.findings) out[f.kind]++;
    return out;
  }

  viewOf(): ProviderAdvertisementView {
    const self = this.node.instanceId;
    const advertising = [...this.advertisers]
      .map(([instanceId, namespaces]) => ({
        instanceId,
        self: instanceId === self,
        namespaces: namespaces.length,
        modules: namespaces.reduce((n, ns) => n + Object.keys(ns.modules).length, 0),
        executors: new Set(namespaces.flatMap((ns) => ns.executorUrls)).size,
      }))
      .sort((a, b) => Number(b.self) - Number(a.self) || a.instanceId.localeCompare(b.instanceId))
      .slice(0, MAX_LISTED);
    return {
      advertising,
      divergentModules: this.findings.length,
      byKind: this.counts(),
      divergence: this.findings.slice(0, MAX_LISTED).map((f) => ({ ...f, since: new Date(this.firstSeen.get(findingKey(f)) ?? Date.now()).toISOString() })),
      truncated: this.findings.length > MAX_LISTED || this.advertisers.size > MAX_LISTED,
    };
  }

  metrics(): ProviderAdvertisementMetrics {
    return { advertisingInstances: this.advertisers.size, divergence: this.counts() };
  }

  prometheus(): string {
    const m = this.metrics();
    return [
      '# HELP constellation_cluster_provider_instances Live instances advertising a provider port (this one included when it has one)',
      '# TYPE constellation_cluster_provider_instances gauge',
      `constellation_cluster_provider_instances ${m.advertisingInstances}`,
      '# HELP constellation_cluster_provider_divergence Provider modules (or namespaces, for ownership) that differ between live instances, by kind',
      '# TYPE constellation_cluster_provider_divergence gauge',
      ...(Object.keys(m.divergence) as ProviderDivergenceKind[]).map((k) => `constellation_cluster_provider_divergence{kind="${k}"} ${m.divergence[k]}`),
    ].join('\n') + '\n';
  }

  /** Deletes this instance's entry (best effort: it expires otherwise) and stops. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.source = undefined;
    if (this.written && this.node.connection.connected) await this.view.delete(this.node.instanceId).catch(() => {});
    this.view.stop();
  }
}

/** `run` on the next turn of the event loop, once however often it was asked for meanwhile. */
function coalesced(run: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    setImmediate(() => {
      queued = false;
      run();
    });
  };
}

function findingKey(f: ProviderDivergence): string {
  return `${f.kind}\u0000${f.module}`;
}
