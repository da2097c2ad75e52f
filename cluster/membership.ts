import { createHash } from 'node:crypto';
import type { KV, Subscription } from 'nats';
import { z } from 'zod';
import type { ClusterTimers } from './config.js';
import type { ClusterConnection } from './connection.js';
import { defineEnvelope, MAX_INLINE_BYTES, type DropCounter } from './envelope.js';
import { errorText, type ClusterLogger } from './log.js';
import { isInstanceId, type ClusterNames } from './naming.js';
import type { Buckets } from './buckets.js';

/**
 * Membership (advisory): who else is in the cluster, in what state, under what load, with
 * which modules.
 *
 * - Liveness by heartbeat: every `heartbeatIntervalMs` each instance publishes
 *   `{instanceId, seq, state, urls, version, load, modulesDigest}` on `cst.<c>.members.hb`; a
 *   peer is `suspect` after `suspectAfterMs` without one, `dead` after `deadAfterMs`, and
 *   forgotten after `memberRecordTtlMs`.
 * - A KV record per instance (`cst_<c>_members/<id>`, bucket max-age `memberRecordTtlMs`,
 *   rewritten every `memberRecordRefreshMs` and on every state change) carries the same static
 *   fields plus the module signatures, so a starting instance sees the membership at once and
 *   module-registry divergence can be reported name by name.
 * - Shutdown: `draining` is announced at once, `leaving` last (and the record deleted).
 *
 * No correctness decision may rest on a peer being `dead` (a partitioned peer is alive):
 * shared state is protected by leases and compare-and-set, never by membership.
 */

export type MemberState = 'starting' | 'running' | 'draining' | 'leaving';
export type Liveness = 'alive' | 'suspect' | 'dead';

export interface LoadSample {
  readonly activeExecutions: number;
  readonly queuedNodes: number;
  readonly eventLoopLagMs: number;
  /** Share of worker-thread capacity in use, 0–1. */
  readonly workerUtilisation: number;
}

export const IDLE: LoadSample = { activeExecutions: 0, queuedNodes: 0, eventLoopLagMs: 0, workerUtilisation: 0 };

/** What an instance says about itself. */
export interface MemberInfo {
  readonly instanceId: string;
  readonly state: MemberState;
  readonly httpUrl: string | null;
  readonly grpcUrl: string | null;
  readonly version: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly capabilities: readonly string[];
  /** Digest of the sorted module signatures (equal digests: same registry). */
  readonly modulesDigest: string;
}

export interface MemberView extends MemberInfo {
  readonly self: boolean;
  readonly liveness: Liveness;
  readonly load: LoadSample;
  /** Milliseconds since the last heartbeat (0 for this instance). */
  readonly lastSeenMsAgo: number;
  /** Modules by name → signature digest, when its record was read. */
  readonly moduleCount: number | null;
}

export interface ModuleDivergence {
  readonly instanceId: string;
  /** Modules this instance has and the peer lacks. */
  readonly missing: readonly string[];
  /** Modules the peer has and this instance lacks. */
  readonly extra: readonly string[];
  /** Same name, different signature. */
  readonly different: readonly string[];
  /** The peer's record could not be read yet: only the digests are known to differ. */
  readonly unknown: boolean;
}

export type PeerChange = 'joined' | 'state' | 'suspect' | 'alive' | 'dead' | 'left';

const text = (max: number) => z.string().max(max);
const loadSchema = z.object({
  activeExecutions: z.number().int().min(0).max(1e9),
  queuedNodes: z.number().int().min(0).max(1e9),
  eventLoopLagMs: z.number().min(0).max(1e9),
  workerUtilisation: z.number().min(0).max(1),
});
const infoFields = {
  instanceId: z.string().refine(isInstanceId, 'not an instance id'),
  state: z.enum(['starting', 'running', 'draining', 'leaving']),
  httpUrl: text(512).nullable(),
  grpcUrl: text(512).nullable(),
  version: text(64),
  startedAt: z.number().int().min(0),
  capabilities: z.array(text(64)).max(64),
  modulesDigest: text(128),
};

export const heartbeatEnvelope = defineEnvelope('heartbeat', z.object({ ...infoFields, seq: z.number().int().min(0), load: loadSchema }), 16 * 1024);
export const memberRecordEnvelope = defineEnvelope(
  'member',
  z.object({ ...infoFields, modules: z.record(text(512), text(128)).refine((m) => Object.keys(m).length <= 20_000, 'too many modules') }),
  MAX_INLINE_BYTES,
);

/** Digest of a module table (name → signature digest), independent of insertion order. */
export function modulesDigest(modules: Readonly<Record<string, string>>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(modules).sort()) h.update(name).update('\u0000').update(modules[name]!).update('\u0001');
  return h.digest('hex').slice(0, 32);
}

interface Peer {
  info: MemberInfo;
  load: LoadSample;
  seq: number;
  /** performance.now() of the last heartbeat (or of the record, for a peer known only by it). */
  lastSeen: number;
  liveness: Liveness;
  modules: Readonly<Record<string, string>> | null;
  modulesOf: string | null;
  fetching: boolean;
}

/** More peers than this are not tracked (a flood of made-up ids cannot grow memory). */
const MAX_PEERS = 1_000;

export interface MembershipOptions {
  readonly connection: ClusterConnection;
  readonly names: ClusterNames;
  readonly buckets: Buckets;
  readonly timers: ClusterTimers;
  readonly drops: DropCounter;
  readonly logger: ClusterLogger;
  readonly self: Omit<MemberInfo, 'state' | 'modulesDigest'>;
  readonly load: () => LoadSample;
  /** Module name → signature digest of this instance (read at start and before every heartbeat: keep it cheap). */
  readonly modules: () => Readonly<Record<string, string>>;
}

export class Membership {
  private readonly peers = new Map<string, Peer>();
  private state: MemberState = 'starting';
  private seq = 0;
  private modules: Readonly<Record<string, string>>;
  private digest: string;
  private httpUrl: string | null;
  private subscription: Subscription | undefined;
  private beat: NodeJS.Timeout | undefined;
  private refresh: NodeJS.Timeout | undefined;
  private readonly listeners: ((instanceId: string, change: PeerChange) => void)[] = [];
  private stopped = false;
  readonly counters = { heartbeatsSent: 0, heartbeatsReceived: 0 };

  constructor(private readonly o: MembershipOptions) {
    this.modules = {};
    this.digest = modulesDigest(this.modules);
    this.httpUrl = o.self.httpUrl;
  }

  get instanceId(): string {
    return this.o.self.instanceId;
  }

  get currentState(): MemberState {
    return this.state;
  }

  private get bucketSpec() {
    return { purpose: 'members', description: 'Constellation: membership records', history: 1, ttlMs: this.o.timers.memberRecordTtlMs } as const;
  }

  info(): MemberInfo {
    return { ...this.o.self, httpUrl: this.httpUrl, state: this.state, modulesDigest: this.digest };
  }

  /** Subscribes and starts the timers; the record is written by `synchronise` (on every (re)connect). */
  start(): void {
    const t = this.o.timers;
    this.readModules();
    this.beat = setInterval(() => {
      // a registry that changed (provider modules) is announced with the next beat
      if (this.readModules()) void this.writeRecord().catch(() => {});
      this.publishHeartbeat();
      this.sweep();
    }, t.heartbeatIntervalMs);
    this.beat.unref();
    this.refresh = setInterval(() => void this.writeRecord().catch(() => {}), t.memberRecordRefreshMs);
    this.refresh.unref();
  }

  /** After a (re)connection: subscribe, write the own record, read everybody's. */
  async synchronise(): Promise<void> {
    const nc = this.o.connection.require('membership');
    if (!this.subscription || this.subscription.isClosed()) {
      this.subscription = nc.subscribe(this.o.names.heartbeats, { callback: (_err, msg) => this.onHeartbeat(msg.data) });
    }
    this.publishHeartbeat();
    await this.o.buckets.kv(this.bucketSpec, this.o.timers.operationTimeoutMs * 10);
    await this.writeRecord();
    const kv = await this.o.buckets.kv(this.bucketSpec);
    let ids: string[];
    try {
      ids = await this.o.connection.shared('list members', async () => {
        const out: string[] = [];
        for await (const k of await kv.keys()) out.push(k);
        return out;
      }, this.o.timers.operationTimeoutMs * 2);
    } catch (e) {
      // Listing keys creates a consumer, which nats-server 2.9 can keep refusing for minutes
      // after a server of its cluster died; the records only speed up finding peers, whose
      // heartbeats find them anyway within an interval, so the synchronisation goes on.
      this.o.logger.warn({ err: errorText(e) }, 'cluster: member records not listed; peers are learned from their heartbeats');
      return;
    }
    for (const id of ids) {
      if (id === this.instanceId || !isInstanceId(id)) continue;
      await this.readRecord(kv, id).catch(() => {});
    }
  }

  private async readRecord(kv: KV, id: string): Promise<void> {
    const entry = await this.o.connection.shared('read member record', () => kv.get(id));
    if (!entry || entry.operation !== 'PUT') return;
    const record = this.o.drops.accept(memberRecordEnvelope, entry.value);
    if (!record || record.instanceId !== id) return;
    const ageMs = Math.max(0, Date.now() - entry.created.getTime());
    let peer = this.peers.get(id);
    if (!peer) {
      if (this.peers.size >= MAX_PEERS || record.state === 'leaving') return;
      const { modules: _m, ...info } = record;
      peer = { info, load: IDLE, seq: -1, lastSeen: performance.now() - ageMs, liveness: 'alive', modules: null, modulesOf: null, fetching: false };
      this.peers.set(id, peer);
      this.emit(id, 'joined');
    }
    peer.modules = record.modules;
    peer.modulesOf = record.modulesDigest;
  }

  private async writeRecord(): Promise<void> {
    if (this.stopped || !this.o.connection.connected) return;
    const kv = await this.o.buckets.kv(this.bucketSpec);
    const value = memberRecordEnvelope.encode({ ...this.info(), capabilities: [...this.o.self.capabilities], modules: { ...this.modules } });
    await this.o.connection.shared('write member record', () => kv.put(this.instanceId, value));
  }

  private publishHeartbeat(): void {
    const nc = this.o.connection.raw;
    if (this.stopped && this.state !== 'leaving') return;
    if (!nc || !this.o.connection.connected) return;
    let load: LoadSample;
    try {
      load = this.o.load();
    } catch {
      load = IDLE;
    }
    try {
      nc.publish(this.o.names.heartbeats, heartbeatEnvelope.encode({ ...this.info(), capabilities: [...this.o.self.capabilities], seq: this.seq++, load: clampLoad(load) }));
      this.counters.heartbeatsSent++;
    } catch (e) {
      this.o.logger.debug({ err: errorText(e) }, 'cluster: heartbeat not published');
    }
  }

  private onHeartbeat(data: Uint8Array): void {
    const hb = this.o.drops.accept(heartbeatEnvelope, data);
    if (!hb || hb.instanceId === this.instanceId) return;
    this.counters.heartbeatsReceived++;
    const { seq, load, ...info } = hb;
    let peer = this.peers.get(hb.instanceId);
    if (hb.state === 'leaving') {
      if (peer) {
        this.peers.delete(hb.instanceId);
        this.emit(hb.instanceId, 'left');
      }
      return;
    }
    if (!peer) {
      if (this.peers.size >= MAX_PEERS) return;
      peer = { info, load, seq, lastSeen: performance.now(), liveness: 'alive', modules: null, modulesOf: null, fetching: false };
      this.peers.set(hb.instanceId, peer);
      this.emit(hb.instanceId, 'joined');
    } else {
      if (seq <= peer.seq) return; // replayed or reordered
      const stateChanged = peer.info.state !== info.state;
      peer.info = info;
      peer.load = load;
      peer.seq = seq;
      peer.lastSeen = performance.now();
      if (peer.liveness !== 'alive') {
        peer.liveness = 'alive';
        this.emit(hb.instanceId, 'alive');
      }
      if (stateChanged) this.emit(hb.instanceId, 'state');
    }
    if (peer.modulesOf !== info.modulesDigest) this.fetchModules(hb.instanceId, peer);
  }

  /** Reads a peer's record when its module digest is new to us (one read at a time per peer). */
  private fetchModules(id: string, peer: Peer): void {
    if (peer.fetching || !this.o.connection.connected) return;
    peer.fetching = true;
    void this.o.buckets
      .kv(this.bucketSpec)
      .then((kv) => this.readRecord(kv, id))
      .catch(() => {})
      .finally(() => (peer.fetching = false));
  }

  private sweep(): void {
    const now = performance.now();
    const t = this.o.timers;
    for (const [id, peer] of this.peers) {
      const silent = now - peer.lastSeen;
      if (silent >= t.memberRecordTtlMs) {
        this.peers.delete(id);
        this.emit(id, 'left');
        continue;
      }
      const liveness: Liveness = silent >= t.deadAfterMs ? 'dead' : silent >= t.suspectAfterMs ? 'suspect' : 'alive';
      if (liveness !== peer.liveness) {
        peer.liveness = liveness;
        this.emit(id, liveness === 'alive' ? 'alive' : liveness);
      }
    }
  }

  /** Announces a state change at once (heartbeat and record). */
  setState(state: MemberState): void {
    if (this.state === state) return;
    this.state = state;
    this.publishHeartbeat();
    void this.writeRecord().catch(() => {});
  }

  setHttpUrl(url: string): void {
    this.httpUrl = url;
    void this.writeRecord().catch(() => {});
  }

  /** Re-reads the module table; true when it changed. */
  private readModules(): boolean {
    let modules: Readonly<Record<string, string>>;
    try {
      modules = this.o.modules();
    } catch {
      return false;
    }
    const digest = modulesDigest(modules);
    if (digest === this.digest) return false;
    this.modules = modules;
    this.digest = digest;
    return true;
  }

  /**
   * The module registry may have changed (a provider came or went): when it did, the record is
   * rewritten and a heartbeat announces the new digest at once, after the record, so peers that
   * read it on seeing the digest find the new table.
   */
  announceModules(): void {
    if (this.stopped || !this.readModules()) return;
    void this.writeRecord()
      .catch(() => {})
      .then(() => this.publishHeartbeat());
  }

  onPeerChange(listener: (instanceId: string, change: PeerChange) => void): void {
    this.listeners.push(listener);
  }

  private emit(id: string, change: PeerChange): void {
    for (const l of this.listeners) {
      try {
        l(id, change);
      } catch (e) {
        this.o.logger.warn({ err: errorText(e) }, 'cluster: membership listener failed');
      }
    }
  }

  /** Every member this instance knows, itself first. */
  members(): MemberView[] {
    this.sweep();
    const now = performance.now();
    let selfLoad: LoadSample;
    try {
      selfLoad = clampLoad(this.o.load());
    } catch {
      selfLoad = IDLE;
    }
    const self: MemberView = { ...this.info(), self: true, liveness: 'alive', load: selfLoad, lastSeenMsAgo: 0, moduleCount: Object.keys(this.modules).length };
    const others = [...this.peers.values()]
      .map((p): MemberView => ({ ...p.info, self: false, liveness: p.liveness, load: p.load, lastSeenMsAgo: Math.round(now - p.lastSeen), moduleCount: p.modules ? Object.keys(p.modules).length : null }))
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
    return [self, ...others];
  }

  /** Peers not dead, by id (e.g. to split a cluster-wide budget between the live members). */
  livePeers(): string[] {
    return [...this.peers].filter(([, p]) => p.liveness !== 'dead').map(([id]) => id);
  }

  /** Module-registry differences between this instance and each live peer whose digest differs. */
  divergence(limit = 50): ModuleDivergence[] {
    const out: ModuleDivergence[] = [];
    for (const [id, peer] of this.peers) {
      if (peer.liveness === 'dead' || peer.info.modulesDigest === this.digest) continue;
      const theirs = peer.modulesOf === peer.info.modulesDigest ? peer.modules : null;
      if (!theirs) {
        out.push({ instanceId: id, missing: [], extra: [], different: [], unknown: true });
        continue;
      }
      const missing: string[] = [];
      const different: string[] = [];
      for (const [name, sig] of Object.entries(this.modules)) {
        if (!(name in theirs)) missing.push(name);
        else if (theirs[name] !== sig) different.push(name);
      }
      const extra = Object.keys(theirs).filter((n) => !(n in this.modules));
      out.push({ instanceId: id, missing: missing.sort().slice(0, limit), extra: extra.sort().slice(0, limit), different: different.sort().slice(0, limit), unknown: false });
    }
    return out.sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }

  /** Announces `leaving`, deletes the record, stops. */
  async leave(): Promise<void> {
    if (this.stopped) return;
    this.state = 'leaving';
    this.publishHeartbeat();
    this.stopped = true;
    clearInterval(this.beat);
    clearInterval(this.refresh);
    this.subscription?.unsubscribe();
    if (this.o.connection.connected) {
      try {
        const kv = await this.o.buckets.kv(this.bucketSpec);
        await this.o.connection.shared('delete member record', () => kv.delete(this.instanceId));
      } catch {
        // the record expires with the bucket's max-age
      }
    }
  }
}

function clampLoad(l: LoadSample): LoadSample {
  const n = (v: number, max: number) => (Number.isFinite(v) ? Math.min(max, Math.max(0, v)) : 0);
  return {
    activeExecutions: Math.round(n(l.activeExecutions, 1e9)),
    queuedNodes: Math.round(n(l.queuedNodes, 1e9)),
    eventLoopLagMs: Math.round(n(l.eventLoopLagMs, 1e9) * 10) / 10,
    workerUtilisation: Math.round(n(l.workerUtilisation, 1) * 1000) / 1000,
  };
}
