import { readFile } from 'node:fs/promises';
import type { CompileResult } from '../compiler/compile.js';
import { ConstellationError, formatError, type ErrorCode } from '../errors.js';
import { compileErrorLines } from '../language/diagnostic-wire.js';
import type { CanaryConfig, CanaryState, CanaryStore } from '../stores/canary-store.js';
import { IMAGE_FORMAT_VERSION, type ImageSummary, type PipelineImage, type PipelineStore } from '../stores/pipeline-store.js';
import type { Revisioned } from '../stores/revision.js';
import { activeVersion, withNewVersion, type PipelineVersion, type VersionHistory, type VersionStore } from '../stores/version-store.js';
import { CanaryMetrics, canaryJson, chooseHash, evaluate, isRunning, promoted, rolledBack, startCanary } from './canary-release.js';
import { AnonymousImages, type AnonymousImageLimits, type EvictionReport, type PinCheck } from './image-retention.js';
import { KeyedLock } from './keyed-lock.js';
import { resolveRef, type RefResolution } from './refs.js';

/**
 * The pipeline catalogue: the one owner of pipeline names. Images, aliases, versions and canary
 * releases live in three stores (pipeline, version, canary state); every change to them goes
 * through here, so the rules that tie them together hold in one place:
 *
 * - the active version is the one the alias points to (docs/decisions.md #20);
 * - a named compile of an unchanged source adds no version (#17);
 * - a failed reload stores nothing: every conflict is found before the first write (#20);
 * - while a canary of a name runs, nothing else moves its alias (the canary would move it again);
 * - every writer of a name runs under that name's lock, so a check and the writes it allows
 *   cannot interleave with another request for the same name. Across instances the racing
 *   writes (versions, canary state) are compare-and-set; alias moves are last-writer-wins.
 *
 * Reads are synchronous (the stores keep local views): `/execute` by a known name costs the
 * alias lookup, the canary lookup and the image lookup, with no await. Writes are async.
 * Routes, the start-up loader, the LSP and the cluster call the catalogue, never the stores.
 *
 * With `anonymousImages` limits the catalogue also bounds the images no name pins
 * (image-retention.ts): `startLifecycle()` takes stock of the store and starts the age timer,
 * `close()` stops it.
 */

export interface CatalogueOptions {
  readonly store: PipelineStore;
  readonly versions: VersionStore;
  readonly canaries: CanaryStore;
  /** Compiles a source (through the engine's compile cache). */
  readonly compile: (source: string) => CompileResult;
  /**
   * Dependency hash of a compiled program (its looked-up names against today's registry): the
   * second half of the syntactic index key, so instances with unrelated module differences share
   * index entries.
   */
  readonly dependencyHash: (lookups: readonly string[]) => string;
  /** Is an image referenced by a stored (suspended or failed) execution? For pinning. */
  readonly referencedBySuspension?: (structuralHash: string) => Promise<boolean>;
  readonly readSource?: (path: string) => Promise<string>;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Bounds on anonymous images; without them every image is kept (as in the reference). */
  readonly anonymousImages?: AnonymousImageLimits;
  /** Is an execution of this pipeline running here? Its image is kept while it runs (it may suspend). */
  readonly inUse?: (structuralHash: string) => boolean;
  /**
   * Images stored before start-up are never evicted (a version history was lost at start-up: an
   * image it pinned cannot be told from an anonymous one).
   */
  readonly keepExistingImages?: boolean;
  readonly onEvict?: (report: EvictionReport) => void;
  readonly onRetentionError?: (error: unknown) => void;
}

/** A refused change: a registered code and the message for the client. Nothing was written. */
export interface Refusal {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
}

export type Outcome<T> = ({ readonly ok: true } & T) | Refusal;

export interface ReloadReport {
  readonly previousHash: string | null;
  readonly newHash: string;
  readonly changed: boolean;
  readonly version: number;
  readonly canary: ReturnType<typeof canaryJson> | null;
}

export interface RollbackReport {
  readonly previousVersion: number;
  readonly activeVersion: number;
  readonly structuralHash: string;
}

/** Why an image must be kept: any pin keeps it from eviction. */
export type ImagePin = 'alias' | 'version' | 'canary' | 'suspended';

/** A running canary as read on the request path (pass it back to `recordOutcome`). */
export type RunningCanary = Revisioned<CanaryState>;

/** How often a compare-and-set write is recomputed after losing to another writer. */
const CAS_ATTEMPTS = 5;

function refuse(code: ErrorCode, message: string = formatError(code)): Refusal {
  return { ok: false, code, message };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class PipelineCatalogue {
  private readonly store: PipelineStore;
  private readonly versionStore: VersionStore;
  private readonly canaryStore: CanaryStore;
  private readonly locks = new KeyedLock();
  /** Name → the .cst file it was loaded from (a reload without a source re-reads it). */
  private readonly files = new Map<string, string>();
  /** What this instance observed of each name's canary. */
  private readonly observed = new Map<string, CanaryMetrics>();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly readSource: (path: string) => Promise<string>;
  /** The books of anonymous images (undefined: every image is kept). */
  readonly anonymous: AnonymousImages | undefined;

  constructor(private readonly options: CatalogueOptions) {
    this.store = options.store;
    this.versionStore = options.versions;
    this.canaryStore = options.canaries;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.readSource = options.readSource ?? ((path) => readFile(path, 'utf8'));
    this.anonymous = options.anonymousImages
      ? new AnonymousImages({
          store: this.store,
          limits: options.anonymousImages,
          pins: () => this.pinCheck(),
          now: this.now,
          ...(options.onEvict ? { onEvict: options.onEvict } : {}),
          ...(options.onRetentionError ? { onError: options.onRetentionError } : {}),
        })
      : undefined;
  }

  /**
   * Takes stock of the stored images (every one that no alias or version names enters the
   * books of anonymous images, unless `keepExistingImages`), follows the store's changes from
   * other writers (a cluster), starts the age timer and sweeps once (the limits may have been
   * lowered since the last run).
   */
  async startLifecycle(): Promise<void> {
    const anonymous = this.anonymous;
    if (!anonymous) return;
    if (!this.options.keepExistingImages) {
      const versioned = this.versionedHashes();
      for (const s of this.store.summaries()) if (!versioned.has(s.structuralHash) && this.store.aliasesOf(s.structuralHash).length === 0) anonymous.admit(s);
    }
    this.store.onChange?.((event) => {
      // used on another instance: as good as a use here
      if (event.kind === 'use') return anonymous.touch(event.key);
      if (event.kind !== 'image') return;
      const summary = this.store.summary(event.key);
      if (!summary) anonymous.forget(event.key);
      else if (this.store.aliasesOf(event.key).length === 0) anonymous.admit(summary);
    });
    anonymous.start();
    await anonymous.sweep();
  }

  async close(): Promise<void> {
    await this.anonymous?.close();
  }

  // ------------------------------------------------------------------ reads (synchronous)

  /** Validates and resolves a reference: `sha256:<hash>`, an alias, or a bare 64-hex hash. */
  resolve(ref: string): RefResolution {
    return resolveRef(this.store, ref);
  }

  /**
   * The same, asking the store's authority: for a `not-local` resolution of a store whose view
   * may lag (a network store). Off the hot path by construction: complete views never say that.
   */
  async resolveFromAuthority(ref: string): Promise<RefResolution> {
    const local = this.resolve(ref);
    if (local.ok || local.problem !== 'not-local') return local;
    const aliased = await this.store.fetchAlias(ref);
    if (aliased !== undefined) return { ok: true, hash: aliased, byName: ref };
    const hash = (ref.startsWith('sha256:') ? ref.slice(7) : ref).toLowerCase();
    if (await this.store.fetchImage(hash)) return { ok: true, hash, byName: null };
    return { ok: false, problem: 'missing', message: `Pipeline '${ref}' not found` };
  }

  /** The image in memory, if it is (synchronous: the request path); counts as a use of an anonymous image. */
  image(hash: string): PipelineImage | undefined {
    this.anonymous?.touch(hash);
    return this.store.getImage(hash);
  }

  /** True when a local miss means "does not exist" (see PipelineStore.completeView). */
  get completeView(): boolean {
    return this.store.completeView;
  }

  /**
   * The image from the store: from memory, else from its disk or authority (an image this
   * instance has not seen, or one the memory budget dropped).
   */
  fetchImage(hash: string): Promise<PipelineImage | undefined> {
    this.anonymous?.touch(hash);
    const local = this.store.getImage(hash);
    return local ? Promise.resolve(local) : this.store.fetchImage(hash);
  }

  /** Summaries of every stored image (the images themselves may be on disk). */
  summaries(): Iterable<ImageSummary> {
    return this.store.summaries();
  }

  resolveAlias(name: string): string | undefined {
    return this.store.resolveAlias(name);
  }

  aliasesOf(hash: string): string[] {
    return this.store.aliasesOf(hash);
  }

  /** The structural hash already stored for a compiled source (its syntactic hash and dependency hash). */
  storedFor(result: CompileResult): string | undefined {
    return this.store.lookupSyntactic(result.hashes.syntactic, this.options.dependencyHash(result.lookups));
  }

  versionHistory(name: string): VersionHistory | undefined {
    return this.versionStore.get(name)?.value;
  }

  /** The running canary of a name, if any (one map lookup: it is on the `/execute` path). */
  runningCanary(name: string): RunningCanary | undefined {
    const c = this.canaryStore.get(name);
    return c !== undefined && isRunning(c.value) ? c : undefined;
  }

  /** The version a request runs while a canary routes traffic. */
  chooseVersion(canary: RunningCanary): string {
    return chooseHash(canary.value, this.random());
  }

  /** A name's canary, running or finished, as the API shows it (with this instance's metrics). */
  canary(name: string): ReturnType<typeof canaryJson> | undefined {
    const c = this.canaryStore.get(name);
    return c ? canaryJson(c.value, this.metricsOf(c.value)) : undefined;
  }

  /** Every name's canary, running or finished, as the API shows it (one call for a dashboard). */
  canaries(): ReturnType<typeof canaryJson>[] {
    return [...this.canaryStore.list()].map((c) => canaryJson(c.value, this.metricsOf(c.value)));
  }

  /** The recorded version the alias of `name` points to (the active one if it matches). */
  aliasVersion(name: string): PipelineVersion | undefined {
    const hash = this.store.resolveAlias(name);
    if (hash === undefined) return undefined;
    const history = this.versionHistory(name);
    const active = activeVersion(history);
    if (active && active.structuralHash === hash) return active;
    return history && [...history.versions].reverse().find((v) => v.structuralHash === hash);
  }

  // ------------------------------------------------------------------ image lifecycle

  /** Why an image is kept: aliased, a recorded version, in a running canary, referenced by a stored execution. */
  async pinsOf(hash: string): Promise<ImagePin[]> {
    const pins: ImagePin[] = [];
    if (this.store.aliasesOf(hash).length > 0) pins.push('alias');
    if (this.isVersioned(hash)) pins.push('version');
    if (this.canaryUsing(hash)) pins.push('canary');
    if (await this.options.referencedBySuspension?.(hash)) pins.push('suspended');
    return pins;
  }

  /** Stored images no pin holds: the ones a bound on anonymous images may evict. */
  async evictableImages(): Promise<string[]> {
    const out: string[] = [];
    for (const s of [...this.store.summaries()]) if ((await this.pinsOf(s.structuralHash)).length === 0) out.push(s.structuralHash);
    return out;
  }

  private isVersioned(hash: string): boolean {
    for (const name of this.versionStore.names()) if (this.versionHistory(name)?.versions.some((v) => v.structuralHash === hash)) return true;
    return false;
  }

  private versionedHashes(): Set<string> {
    const out = new Set<string>();
    for (const name of this.versionStore.names()) for (const v of this.versionHistory(name)?.versions ?? []) out.add(v.structuralHash);
    return out;
  }

  /** The pins of one eviction sweep: versions and canaries gathered once, aliases and running executions asked per image. */
  private pinCheck(): PinCheck {
    const versioned = this.versionedHashes();
    const canaries = new Set<string>();
    for (const c of this.canaryStore.list()) if (isRunning(c.value)) canaries.add(c.value.oldVersion.structuralHash).add(c.value.newVersion.structuralHash);
    const inUse = this.options.inUse;
    const referenced = this.options.referencedBySuspension;
    return {
      named: (hash) => versioned.has(hash) || this.store.aliasesOf(hash).length > 0,
      held: async (hash) => canaries.has(hash) || (inUse?.(hash) ?? false) || ((await referenced?.(hash)) ?? false),
    };
  }

  /** Moves (or creates) an alias; an image the move leaves without any name becomes anonymous again. */
  private async pointAlias(name: string, hash: string): Promise<void> {
    const previous = this.store.resolveAlias(name);
    await this.store.setAlias(name, hash);
    if (previous === undefined || previous === hash || !this.anonymous) return;
    const summary = this.store.summary(previous);
    if (summary && this.store.aliasesOf(previous).length === 0 && !this.isVersioned(previous)) this.anonymous.admit(summary);
  }

  /**
   * Start-up recovery after damaged store files were moved aside: the images that aliases (and,
   * when the aliases were lost, the names' active versions) point at are read, and those missing
   * or damaged are recompiled from the sources the version histories keep — stored only when a
   * source still compiles to the same hash; then lost aliases are rebuilt from the active versions.
   */
  async recoverFromVersions(aliasesLost: boolean): Promise<{ readonly images: string[]; readonly aliases: string[] }> {
    const wanted = new Map<string, string>();
    for (const [name, hash] of this.store.aliases()) wanted.set(hash, name);
    if (aliasesLost) {
      for (const name of this.versionStore.names()) {
        const active = activeVersion(this.versionHistory(name));
        if (active && this.store.resolveAlias(name) === undefined) wanted.set(active.structuralHash, name);
      }
    }
    const images: string[] = [];
    for (const [hash, name] of wanted) {
      // reading it is what finds a damaged file (moved aside by the store)
      if (await this.fetchImage(hash)) continue;
      const source = this.versionHistory(name)?.versions.find((v) => v.structuralHash === hash && v.source !== null)?.source;
      if (source === undefined || source === null) continue;
      const result = this.options.compile(source);
      if (!result.ok || result.hashes.structural !== hash) continue;
      await this.storeImage(result, source);
      images.push(hash);
    }
    return { images, aliases: aliasesLost ? await this.restoreAliasesFromVersions() : [] };
  }

  /** Every name whose active version's image is stored and that has no alias gets its alias back. Returns the names. */
  private async restoreAliasesFromVersions(): Promise<string[]> {
    const restored: string[] = [];
    for (const name of [...this.versionStore.names()]) {
      await this.locks.run(name, async () => {
        if (this.store.resolveAlias(name) !== undefined) return;
        const active = activeVersion(this.versionHistory(name));
        if (!active || !this.store.summary(active.structuralHash)) return;
        await this.store.setAlias(name, active.structuralHash);
        restored.push(name);
      });
    }
    return restored;
  }

  private canaryUsing(hash: string): CanaryState | undefined {
    for (const c of this.canaryStore.list()) {
      if (isRunning(c.value) && (c.value.oldVersion.structuralHash === hash || c.value.newVersion.structuralHash === hash)) return c.value;
    }
    return undefined;
  }

  // ------------------------------------------------------------------ writes

  /**
   * Stores a compiled pipeline's image (content-addressed: storing it again changes nothing but
   * its last use). A new image is anonymous until a name points at it.
   */
  async storeImage(result: CompileResult, source: string): Promise<PipelineImage> {
    const hash = result.hashes.structural!;
    const known = this.store.getImage(hash);
    if (known) {
      this.anonymous?.touch(hash);
      return known;
    }
    const image = this.imageOf(result, source);
    await this.store.putImage(image);
    const summary = this.store.summary(hash);
    if (summary && this.anonymous) {
      this.anonymous.touch(hash);
      if (this.store.aliasesOf(hash).length === 0) this.anonymous.admit(summary);
    }
    return image;
  }

  /** The image of a compiled pipeline: the one in memory, or a new one (not stored by this call). */
  imageOf(result: CompileResult, source: string): PipelineImage {
    const hash = result.hashes.structural!;
    return this.store.getImage(hash) ?? {
      formatVersion: IMAGE_FORMAT_VERSION,
      structuralHash: hash,
      syntacticHash: result.hashes.syntactic,
      registryHash: this.options.dependencyHash(result.lookups),
      dag: result.dag!,
      sourceMap: result.sourceMap,
      source,
      compiledAt: new Date(this.now()).toISOString(),
    };
  }

  /**
   * After a run of `image` ended unfinished, or before a version comes to name it: makes sure its
   * image is still stored (it is pinned from now on, but an eviction sweep — here, or on another
   * instance whose view has not seen the pin yet — may have taken it meanwhile).
   */
  async keepImage(image: PipelineImage): Promise<void> {
    if (this.store.keepImage) await this.store.keepImage(image);
    else if (!this.store.summary(image.structuralHash)) await this.store.putImage(image);
  }

  /**
   * Stores a compiled pipeline under a name: the alias moves to it and a version is recorded
   * (unless the alias already pointed there and a version exists). Refused while a canary of the
   * name runs. `file`: the source file, for reloads without a body.
   */
  compileNamed(name: string, result: CompileResult, source: string, file?: string): Promise<Outcome<{ image: PipelineImage }>> {
    return this.locks.run(name, async () => {
      if (this.runningCanary(name)) return refuse('CanaryConflict', `Canary deployment active for pipeline '${name}'; promote, roll back or abort it first`);
      const image = await this.storeImage(result, source);
      const previous = this.store.resolveAlias(name);
      await this.pointAlias(name, image.structuralHash);
      if (previous !== image.structuralHash || (this.versionHistory(name)?.versions.length ?? 0) === 0) await this.appendVersion(name, image.structuralHash, source, true);
      if (file !== undefined) this.files.set(name, file);
      return { ok: true, image };
    });
  }

  /**
   * Hot reload: compiles the new source (or re-reads the name's file), records a version and
   * moves the alias — or, with a canary config, records the version inactive and starts a canary
   * against the version the alias points to.
   */
  reload(name: string, request: { readonly source?: string; readonly canary?: CanaryConfig }): Promise<Outcome<ReloadReport>> {
    return this.locks.run(name, async (): Promise<Outcome<ReloadReport>> => {
      let source = request.source;
      if (source === undefined) {
        const file = this.files.get(name);
        if (file === undefined) return refuse('NoSource');
        try {
          source = await this.readSource(file);
        } catch (e) {
          return refuse('NoSource', `Failed to read file ${file}: ${errorText(e)}`);
        }
      }
      const result = this.options.compile(source);
      if (!result.ok) return refuse('CompilationError', compileErrorLines(result.diagnostics).join('; '));
      const newHash = result.hashes.structural!;
      const previousHash = this.store.resolveAlias(name) ?? null;

      if (newHash === previousHash) {
        let current = this.aliasVersion(name);
        if (!current) {
          // alias set by PUT, no version yet: record one, as a named compile does
          const image = await this.storeImage(result, source);
          current = await this.appendVersion(name, image.structuralHash, source, true);
        }
        return { ok: true, previousHash, newHash, changed: false, version: current.version, canary: null };
      }

      // every conflict is found before anything is stored
      const wantsCanary = request.canary !== undefined;
      if (this.runningCanary(name)) {
        return refuse('CanaryConflict', wantsCanary ? `Canary deployment already active for pipeline '${name}'` : `Canary deployment active for pipeline '${name}': promote or roll it back before reloading without a canary`);
      }
      const old = wantsCanary ? this.aliasVersion(name) : undefined;
      if (wantsCanary && !old) return refuse('CanaryConflict', 'No previous version exists for canary deployment');

      const image = await this.storeImage(result, source);
      // a version is about to name it: an older anonymous image must not go meanwhile
      await this.keepImage(image);
      if (!wantsCanary) {
        const version = await this.appendVersion(name, image.structuralHash, source, true);
        await this.pointAlias(name, image.structuralHash);
        return { ok: true, previousHash, newHash, changed: true, version: version.version, canary: null };
      }
      const version = await this.appendVersion(name, image.structuralHash, source, false);
      const state = startCanary(name, { version: old!.version, structuralHash: old!.structuralHash }, { version: version.version, structuralHash: version.structuralHash }, request.canary!, this.now());
      // replaces a finished canary of the name (only a running one conflicts, checked above)
      await this.writeCanary(name, this.canaryStore.get(name), state);
      return { ok: true, previousHash, newHash, changed: true, version: version.version, canary: canaryJson(state, this.metricsOf(state)) };
    });
  }

  /**
   * Rolls back to `target` (default: active − 1): that version becomes active and the alias
   * moves to it. A running canary of the name is aborted first: rollback is the emergency action.
   */
  rollback(name: string, target?: number): Promise<Outcome<RollbackReport>> {
    return this.locks.run(name, async (): Promise<Outcome<RollbackReport>> => {
      const history = this.versionHistory(name);
      const current = history?.active ?? 0;
      if (!history || current === 0) return refuse('NotFound', `Pipeline '${name}' not found`);
      const wanted = target ?? current - 1;
      const version = history.versions.find((v) => v.version === wanted);
      if (!version) return refuse('NotFound', target !== undefined ? `Version ${target} not found for pipeline '${name}'` : `No previous version exists for pipeline '${name}'`);
      if (!(await this.fetchImage(version.structuralHash))) {
        return refuse('NotFound', `Pipeline image for version ${wanted} (hash=${version.structuralHash.slice(0, 12)}...) no longer exists`);
      }
      const canary = this.runningCanary(name);
      if (canary) await this.transitionCanary(name, (state) => rolledBack(state));
      await this.activate(name, wanted);
      await this.pointAlias(name, version.structuralHash);
      return { ok: true, previousVersion: current, activeVersion: wanted, structuralHash: version.structuralHash };
    });
  }

  /**
   * Creates or moves an alias (no version is recorded); when the hash is one of the name's
   * recorded versions, that version (the newest with the hash) becomes the active one.
   */
  moveAlias(name: string, hash: string): Promise<Outcome<{ hash: string }>> {
    return this.locks.run(name, async (): Promise<Outcome<{ hash: string }>> => {
      if (!(await this.fetchImage(hash))) return refuse('NotFound', `Pipeline with hash '${hash}' not found`);
      if (this.runningCanary(name)) return refuse('CanaryConflict', `Canary deployment active for pipeline '${name}': promote or roll it back before moving the alias`);
      await this.pointAlias(name, hash);
      const history = this.versionHistory(name);
      if (history && activeVersion(history)?.structuralHash !== hash) {
        const match = [...history.versions].reverse().find((v) => v.structuralHash === hash);
        if (match) await this.activate(name, match.version);
      }
      return { ok: true, hash };
    });
  }

  /**
   * Deletes an image found by `resolved`: by its only alias (alias and image go), or by hash
   * (no alias may point at it). An image a running canary routes to is kept. Versions and
   * stored executions are left alone (a later rollback to it answers "no longer exists").
   */
  deleteImage(ref: string, resolved: { readonly hash: string; readonly byName: string | null }): Promise<Outcome<object>> {
    const { hash, byName } = resolved;
    return this.locks.run(byName ?? hash, async (): Promise<Outcome<object>> => {
      const canary = this.canaryUsing(hash);
      if (canary) return refuse('CanaryConflict', `Cannot delete pipeline: the canary deployment of '${canary.pipelineName}' routes traffic to it`);
      const aliases = this.store.aliasesOf(hash);
      const others = byName === null ? aliases : aliases.filter((a) => a !== byName);
      if (others.length > 0) return refuse('AliasConflict', formatError('AliasConflict', { aliases: aliases.join(', ') }));
      if (byName !== null) await this.store.deleteAlias(byName);
      const deleted = await this.store.deleteImage(hash);
      this.anonymous?.forget(hash);
      // the alias was the only reference: it is gone even if the image vanished meanwhile
      if (!deleted && byName === null) return refuse('NotFound', `Pipeline '${ref}' not found`);
      return { ok: true };
    });
  }

  /** Advances a running canary one step (the last completes it and moves the alias); a finished one is returned unchanged. */
  promoteCanary(name: string): Promise<Outcome<{ canary: ReturnType<typeof canaryJson> }>> {
    return this.changeCanary(name, (state) => promoted(state, this.now()));
  }

  /** Aborts a running canary (the alias never moved while it ran: nothing else to undo). */
  rollbackCanary(name: string): Promise<Outcome<{ canary: ReturnType<typeof canaryJson> }>> {
    return this.changeCanary(name, rolledBack);
  }

  /**
   * Records the outcome of a request the canary routed (`hash` is the version it ran). When the
   * outcome decides a promotion or a rollback, returns the write of that transition (the request
   * waits for it, so its reply already reflects the new state); otherwise `undefined`.
   */
  recordOutcome(canary: RunningCanary, hash: string, success: boolean, latencyMs: number): Promise<void> | undefined {
    const name = canary.value.pipelineName;
    const latest = this.canaryStore.get(name);
    // rolled back or replaced while this request ran: its outcome belongs to nothing running
    if (!latest || latest.value.startedAt !== canary.value.startedAt || !isRunning(latest.value)) return undefined;
    const metrics = this.metricsOf(latest.value);
    (hash === latest.value.newVersion.structuralHash ? metrics.newVersion : metrics.oldVersion).record(success, latencyMs);
    const decided = evaluate(latest.value, metrics, this.now());
    if (!decided) return undefined;
    return this.locks.run(name, async () => {
      const current = this.canaryStore.get(name);
      // another request (or instance) applied a transition first: this decision is stale
      if (current?.revision !== latest.revision) return;
      await this.writeCanary(name, current, decided);
    });
  }

  // ------------------------------------------------------------------ internals (callers hold the name's lock)

  private metricsOf(state: CanaryState): CanaryMetrics {
    const m = CanaryMetrics.follow(this.observed.get(state.pipelineName), state);
    this.observed.set(state.pipelineName, m);
    return m;
  }

  private changeCanary(name: string, change: (state: CanaryState) => CanaryState): Promise<Outcome<{ canary: ReturnType<typeof canaryJson> }>> {
    return this.locks.run(name, async (): Promise<Outcome<{ canary: ReturnType<typeof canaryJson> }>> => {
      if (!this.canaryStore.get(name)) return refuse('NotFound', `No canary deployment active for pipeline '${name}'`);
      const state = await this.transitionCanary(name, change);
      return { ok: true, canary: canaryJson(state, this.metricsOf(state)) };
    });
  }

  /** Applies `change` to the running canary with compare-and-set, recomputing when another writer was first. */
  private async transitionCanary(name: string, change: (state: CanaryState) => CanaryState): Promise<CanaryState> {
    let current = this.canaryStore.get(name);
    for (let attempt = 0; attempt < CAS_ATTEMPTS && current; attempt++) {
      if (!isRunning(current.value)) return current.value;
      const next = change(current.value);
      const written = await this.writeCanary(name, current, next);
      if (written === true) return next;
      current = written;
    }
    if (!current) throw new ConstellationError('NotFound', `No canary deployment active for pipeline '${name}'`);
    throw new ConstellationError('ConcurrentUpdate', formatError('ConcurrentUpdate', { name }));
  }

  /**
   * Writes a canary state expected at `expected`'s revision; on completion the alias and the
   * active version move to the new version. Returns true, or the state that won instead.
   */
  private async writeCanary(name: string, expected: Revisioned<CanaryState> | undefined, next: CanaryState): Promise<true | Revisioned<CanaryState> | undefined> {
    const outcome = await this.canaryStore.put(name, next, expected?.revision ?? 0);
    if (!outcome.ok) return outcome.current;
    if (next.status === 'complete' && expected?.value.status !== 'complete') {
      await this.pointAlias(name, next.newVersion.structuralHash);
      await this.activate(name, next.newVersion.version);
    }
    return true;
  }

  private appendVersion(name: string, hash: string, source: string | null, activate: boolean): Promise<PipelineVersion> {
    return this.updateVersions(name, (history) => {
      const next = withNewVersion(history, hash, source, activate, new Date(this.now()));
      return { history: next.history, result: next.version };
    });
  }

  private async activate(name: string, version: number): Promise<void> {
    await this.updateVersions(name, (history) => (history && history.active !== version && history.versions.some((v) => v.version === version) ? { history: { ...history, active: version }, result: undefined } : undefined));
  }

  /** Compare-and-set on a name's version history; `change` returns undefined when nothing is to be written. */
  private async updateVersions<R>(name: string, change: (history: VersionHistory | undefined) => { history: VersionHistory; result: R } | undefined): Promise<R> {
    let current = this.versionStore.get(name);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const next = change(current?.value);
      if (!next) return undefined as R;
      const outcome = await this.versionStore.put(name, next.history, current?.revision ?? 0);
      if (outcome.ok) return next.result;
      current = outcome.current;
    }
    throw new ConstellationError('ConcurrentUpdate', formatError('ConcurrentUpdate', { name }));
  }
}
