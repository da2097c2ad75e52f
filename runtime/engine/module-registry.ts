import type { FunctionSignature } from '../compiler/registry.js';
import type { Value } from '../values/value.js';
import type { ConstellationModule } from '../modules/define.js';
import { signatureOf } from '../modules/define.js';
import { prepare, type PreparedModule } from '../modules/call.js';
import { STDLIB_FUNCTIONS, STDLIB_SIGNATURES, type PureFunction } from '../stdlib/index.js';
import type { CancelToken } from './spi.js';

/**
 * The engine's modules: what runs when a DAG module node fires. Four placements:
 * - `inline`: a pure synchronous standard-library function, run on the coordinator in the same
 *   turn (no promise, no thread hop): a 100-node stdlib chain costs microseconds;
 * - `front`: an async module body on the coordinator's event loop (light, trusted I/O);
 * - `worker`: the body runs on the worker pool (actors/), loaded there from its file;
 * - `remote`: another process runs it (a module provider); the engine calls it through the
 *   entry's `RemoteModule` on the coordinator's event loop.
 *
 * Lookup is by exact registry name first, then by the last dot-separated segment.
 * Remote modules are reached by their exact name only: a node compiled against a provider's
 * module must fail when that module is withdrawn, not reach a local module of the same short name.
 *
 * The registry changes at run time (providers come and go). Executions look their modules up
 * when a node starts, so a change costs the hot path nothing; a withdrawn module fails the nodes
 * that start after it left with ModuleNotFound.
 */

export type Placement = 'inline' | 'front' | 'worker' | 'remote';

/** What a remote call knows of its place in an execution. */
export interface RemoteCallContext {
  readonly executionId: string;
  readonly nodeId: number;
  /** Structural hash of the executing DAG. */
  readonly structuralHash: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  /** When the attempt must be over (epoch ms): its timeout, or the execution's own deadline if sooner. */
  readonly deadline: number | undefined;
}

/** A module implemented outside the engine's process (runtime/ knows nothing of the transport). */
export interface RemoteModule {
  readonly id: string;
  readonly version: string;
  readonly signature: FunctionSignature;
  /** Per-attempt limit for calls without a `timeout` option (instead of the engine's default). */
  readonly timeoutMs?: number;
  call(args: readonly Value[], call: RemoteCallContext, token: CancelToken): Promise<Value>;
}

export interface ModuleEntry {
  readonly id: string;
  readonly version: string;
  readonly placement: Placement;
  readonly signature: FunctionSignature;
  /** For `inline`. */
  readonly pure?: PureFunction;
  /** For `front` and `worker`. */
  readonly prepared?: PreparedModule;
  /** Module file the workers load (`worker` placement). */
  readonly file?: string;
  /** Per-engine state for `front` modules (`createState`). */
  readonly state?: unknown;
  /** For `remote`. */
  readonly remote?: RemoteModule;
  /** Per-attempt limit for calls without a `timeout` option, when this module has its own. */
  readonly timeoutMs?: number;
}

export class ModuleRegistry {
  private readonly byId = new Map<string, ModuleEntry>();
  private readonly byShort = new Map<string, ModuleEntry>();
  /** Ids ever held by remote modules: a miss on one of them never falls back to a short name. */
  private readonly remoteIds = new Set<string>();

  constructor(withStdlib = true) {
    if (withStdlib) {
      for (const sig of STDLIB_SIGNATURES) {
        const pure = STDLIB_FUNCTIONS[sig.module];
        if (sig.kind !== 'module' || !pure) continue;
        this.add({ id: sig.module, version: '1.0.0', placement: 'inline', signature: sig, pure });
      }
    }
  }

  /**
   * Registers a module. A `worker` module needs the file it was loaded from (workers import
   * it by path); without one it runs on the coordinator instead.
   */
  register(module: ConstellationModule, file?: string): ModuleEntry {
    const placement: Placement = module.placement === 'worker' && file ? 'worker' : 'front';
    const entry: ModuleEntry = {
      id: module.id,
      version: module.version,
      placement,
      signature: signatureOf(module),
      prepared: prepare(module),
      ...(file ? { file } : {}),
      ...(module.createState ? { state: module.createState() } : {}),
    };
    this.add(entry);
    return entry;
  }

  /** Registers (or replaces) a remote module. */
  registerRemote(remote: RemoteModule): ModuleEntry {
    this.remoteIds.add(remote.id);
    const entry: ModuleEntry = {
      id: remote.id,
      version: remote.version,
      placement: 'remote',
      signature: remote.signature,
      remote,
      ...(remote.timeoutMs !== undefined ? { timeoutMs: remote.timeoutMs } : {}),
    };
    this.add(entry);
    return entry;
  }

  /** Removes a module; its short name passes to another module of that short name, if any. */
  unregister(id: string): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    this.byId.delete(id);
    const short = shortName(id);
    if (this.byShort.get(short) === entry) {
      this.byShort.delete(short);
      for (const other of this.byId.values()) {
        if (other.placement !== 'remote' && shortName(other.id) === short) {
          this.byShort.set(short, other);
          break;
        }
      }
    }
    return true;
  }

  private add(entry: ModuleEntry): void {
    const previous = this.byId.get(entry.id);
    this.byId.set(entry.id, entry);
    const short = shortName(entry.id);
    const owner = this.byShort.get(short);
    if (entry.placement === 'remote') {
      if (owner === previous) this.byShort.delete(short);
      return;
    }
    // the first registered module keeps the short name; a replacement of it takes it over
    if (!owner || owner === previous) this.byShort.set(short, entry);
  }

  get(id: string): ModuleEntry | undefined {
    const entry = this.byId.get(id);
    if (entry !== undefined || this.remoteIds.has(id)) return entry;
    return this.byShort.get(shortName(id));
  }

  entries(): IterableIterator<ModuleEntry> {
    return this.byId.values();
  }
}

function shortName(id: string): string {
  return id.slice(id.lastIndexOf('.') + 1);
}
