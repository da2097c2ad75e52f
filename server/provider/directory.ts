import type { Engine } from '../../runtime/engine/engine.js';
import type { Logger } from '../logger.js';
import type { ProviderConfig } from './config.js';
import type { DeclaredModule, ProviderConnection } from './connection.js';
import type { ExecutorChannels } from './executor-channels.js';
import { NamespaceClaim } from './groups.js';
import type { ProviderMetrics } from './metrics.js';
import { remoteModule } from './provider-module.js';
import type { ProviderInvoker } from './invoker.js';

/**
 * The provider port's state: live connections, namespace claims, and the engine modules they
 * put in place. Every change of the engine's registry made for providers goes through here, so
 * the registry and the claims cannot disagree:
 * - `install` puts a claim's modules into the engine (new ones, or new schemas: replaced);
 * - `withdraw` is the one way a connection leaves (deregistered, stream ended, heartbeats
 *   missed, drain deadline passed, server closing): it leaves its claim, the modules no other
 *   member offers leave the engine, a claim without members releases its namespace, and the
 *   executor channel nobody else uses is closed.
 *
 * Every such change is announced to `onChange` listeners (the cluster's provider advertisement).
 *
 * Connections that left are remembered for a while (bounded), so that a `Deregister` sent
 * after the control stream closed — the order in which the reference SDK stops — is answered
 * for what it was: those modules are removed.
 */

const RECENTLY_CLOSED_LIMIT = 1000;

export interface WithdrawOptions {
  readonly reason: string;
  /** Fail the calls in flight to its executor now (the provider is gone or hung). */
  readonly failInFlight: boolean;
  /** Status to end the control stream with (default: a normal end). */
  readonly streamStatus?: { code: number; details: string };
}

export class ProviderDirectory {
  readonly connections = new Map<string, ProviderConnection>();
  readonly claims = new Map<string, NamespaceClaim>();
  readonly recentlyClosed = new Map<string, { namespace: string; modules: readonly string[]; reason: string }>();
  private readonly changeListeners = new Set<() => void>();

  constructor(
    readonly engine: Engine,
    readonly config: ProviderConfig,
    readonly metrics: ProviderMetrics,
    readonly log: Logger,
    readonly channels: ExecutorChannels,
    readonly invoker: ProviderInvoker,
  ) {}

  /**
   * Makes the engine hold exactly `modules` for a claim: registers new and changed modules,
   * unregisters the ones that left. Synchronous, so a compilation sees all or none of it.
   */
  install(claim: NamespaceClaim, modules: ReadonlyMap<string, DeclaredModule>): void {
    for (const name of claim.modules.keys()) if (!modules.has(name)) this.engine.unregister(`${claim.namespace}.${name}`);
    for (const [name, decl] of modules) {
      const previous = claim.modules.get(name);
      if (previous && sameDeclaration(previous, decl)) continue;
      this.engine.registerRemote(remoteModule(claim, decl, this.invoker, this.config.callTimeoutMs));
    }
    claim.modules = new Map(modules);
    this.changed();
  }

  /** Calls `listener` after every change of the claims, their modules or their members; returns the unsubscription. */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.changeListeners) {
      try {
        listener();
      } catch (e) {
        this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'provider directory listener failed');
      }
    }
  }

  /** Removes one module of a connection (Deregister); the engine keeps it while another member offers it. */
  dropModule(conn: ProviderConnection, name: string): void {
    const claim = this.claims.get(conn.namespace);
    const rest = new Map(conn.modules);
    rest.delete(name);
    conn.modules = rest;
    if (claim && !claim.offeredByOthers(name, conn)) {
      this.engine.unregister(`${conn.namespace}.${name}`);
      claim.modules.delete(name);
    }
    this.changed();
  }

  withdraw(conn: ProviderConnection, options: WithdrawOptions): void {
    if (conn.state === 'Disconnected') return;
    conn.state = 'Disconnected';
    conn.endReason = options.reason;
    this.connections.delete(conn.id);
    const claim = this.claims.get(conn.namespace);
    if (claim) {
      for (const name of conn.modules.keys()) {
        if (!claim.offeredByOthers(name, conn)) {
          this.engine.unregister(`${conn.namespace}.${name}`);
          claim.modules.delete(name);
        }
      }
      if (claim.remove(conn)) this.claims.delete(conn.namespace);
    }
    if (options.failInFlight) conn.failInFlight(new Error(`provider ${conn.id} (${conn.namespace}) is gone: ${options.reason}`));
    this.endStream(conn, options.streamStatus);
    if (![...this.connections.values()].some((c) => c.executorTarget === conn.executorTarget)) this.channels.close(conn.executorTarget);
    this.recentlyClosed.set(conn.id, { namespace: conn.namespace, modules: [...conn.modules.keys()], reason: options.reason });
    if (this.recentlyClosed.size > RECENTLY_CLOSED_LIMIT) this.recentlyClosed.delete(this.recentlyClosed.keys().next().value as string);
    this.log.info({ connectionId: conn.id, namespace: conn.namespace, reason: options.reason }, 'provider connection closed');
    this.changed();
  }

  private endStream(conn: ProviderConnection, status: { code: number; details: string } | undefined): void {
    const stream = conn.stream;
    conn.stream = undefined;
    if (!stream || stream.destroyed || stream.writableEnded) return;
    try {
      if (status) stream.emit('error', status);
      else stream.end();
    } catch {
      // the stream broke meanwhile: nothing left to end
    }
  }

  /** Connections by state (for the metrics gauge). */
  countByState(): Record<string, number> {
    const out: Record<string, number> = { Registered: 0, Active: 0, Draining: 0 };
    for (const c of this.connections.values()) out[c.state] = (out[c.state] ?? 0) + 1;
    return out;
  }
}

function sameDeclaration(a: DeclaredModule, b: DeclaredModule): boolean {
  return a.shape === b.shape && a.version === b.version && a.description === b.description;
}
