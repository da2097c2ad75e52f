import type { Subscription } from 'nats';
import { z } from 'zod';
import { defineEnvelope } from '../envelope.js';
import { errorText } from '../log.js';
import { isInstanceId } from '../naming.js';
import type { ClusterNode } from '../node.js';

/**
 * Uses of pipeline images across the cluster, so that no instance evicts an anonymous image
 * another one is using. Each instance announces the images it uses on `cst.<c>.images.used`:
 * a hash at most once per window — its first use in the window at once, so peers hear of it
 * within a message's flight — and again in every window while an execution of it still runs
 * here. Peers record the announcements: the pipeline store declines to evict an image used
 * anywhere within its grace period, and the catalogue counts a peer's use as a use (the order
 * of least recent use is the cluster's, not one instance's).
 *
 * Core NATS, fire and forget: the request path publishes without waiting (a map write and, once
 * per window and image, a publish). An announcement lost in an outage costs at most an image
 * evicted that was about to be used again elsewhere; its running executions go on, and one
 * that ends stored renews the image first (NatsPipelineStore.keepImage).
 */

const MAX_HASHES = 1000;

export const imageUseEnvelope = defineEnvelope(
  'image-use',
  z.object({ from: z.string().refine(isInstanceId, 'not an instance id'), hashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)).min(1).max(MAX_HASHES) }),
  128 * 1024,
);

export interface ImageUseOptions {
  /** A hash is announced at most once per window (a quarter of the eviction grace period). */
  readonly windowMs: number;
  /** Is an image stored (a peer's announcement of anything else is ignored)? */
  readonly known: (hash: string) => boolean;
  /** A peer used the image. */
  readonly onPeerUse: (hash: string) => void;
  /** Is an execution of the image running here? It is announced again every window while it runs. */
  readonly running?: (hash: string) => boolean;
  readonly now?: () => number;
}

export class ImageUse {
  /** Hash → epoch ms of its last use known here (this instance's or a peer's). */
  private readonly lastUse = new Map<string, number>();
  /** Announced (or queued) in the current window. */
  private announced = new Set<string>();
  private pending: string[] = [];
  private flushQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private subscription: Subscription | undefined;
  private readonly now: () => number;

  constructor(private readonly node: ClusterNode, private readonly o: ImageUseOptions) {
    this.now = o.now ?? Date.now;
  }

  /** This instance used the image: on the request path, so a map write and at most a queued publish. */
  use(hash: string): void {
    this.lastUse.set(hash, this.now());
    if (this.announced.has(hash)) return;
    this.announced.add(hash);
    this.pending.push(hash);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
  }

  /** Epoch ms of the image's last known use in the cluster. */
  lastUsedAt(hash: string): number | undefined {
    return this.lastUse.get(hash);
  }

  /** The image left the store. */
  forget(hash: string): void {
    this.lastUse.delete(hash);
  }

  /** After every (re)connection: listens to the peers' announcements and starts the windows. */
  synchronise(): void {
    const nc = this.node.connection.require('image uses');
    if (!this.subscription || this.subscription.isClosed()) {
      this.subscription = nc.subscribe(this.node.names.imageUses, { callback: (_err, msg) => this.receive(msg.data) });
    }
    if (!this.timer) {
      this.timer = setInterval(() => this.nextWindow(), Math.max(50, this.o.windowMs));
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private nextWindow(): void {
    const previous = this.announced;
    this.announced = new Set();
    const running = this.o.running;
    if (running) for (const hash of previous) if (running(hash)) this.use(hash);
  }

  private flush(): void {
    this.flushQueued = false;
    const hashes = this.pending;
    this.pending = [];
    const nc = this.node.connection.raw;
    // not connected: nothing to queue (peers rely on the grace period and on renewals)
    if (!nc || !this.node.connection.connected) return;
    for (let i = 0; i < hashes.length; i += MAX_HASHES) {
      try {
        nc.publish(this.node.names.imageUses, imageUseEnvelope.encode({ from: this.node.instanceId, hashes: hashes.slice(i, i + MAX_HASHES) }));
      } catch (e) {
        this.node.logger.debug({ err: errorText(e) }, 'cluster: image uses not announced');
      }
    }
  }

  private receive(data: Uint8Array): void {
    const message = this.node.drops.accept(imageUseEnvelope, data);
    if (!message || message.from === this.node.instanceId) return;
    const now = this.now();
    for (const hash of message.hashes) {
      if (!this.o.known(hash)) continue;
      this.lastUse.set(hash, now);
      this.o.onPeerUse(hash);
    }
  }
}
