import type { FunctionSignature } from '../compiler/registry.js';
import type { ConstellationModule } from '../modules/define.js';
import { signatureOf } from '../modules/define.js';
import { prepare, type PreparedModule } from '../modules/call.js';
import { STDLIB_FUNCTIONS, STDLIB_SIGNATURES, type PureFunction } from '../stdlib/index.js';

/**
 * The engine's modules: what runs when a DAG module node fires. Three placements:
 * - `inline`: a pure synchronous standard-library function, run on the coordinator in the same
 *   turn (no promise, no thread hop): a 100-node stdlib chain costs microseconds;
 * - `front`: an async module body on the coordinator's event loop (light, trusted I/O);
 * - `worker`: the body runs on the worker pool (actors/), loaded there from its file.
 *
 * Lookup is by exact registry name first, then by the last dot-separated segment.
 */

export type Placement = 'inline' | 'front' | 'worker';

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
}

export class ModuleRegistry {
  private readonly byId = new Map<string, ModuleEntry>();
  private readonly byShort = new Map<string, ModuleEntry>();

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

  private add(entry: ModuleEntry): void {
    const previous = this.byId.get(entry.id);
    this.byId.set(entry.id, entry);
    const short = entry.id.slice(entry.id.lastIndexOf('.') + 1);
    const owner = this.byShort.get(short);
    // the first registered module keeps the short name; a replacement of it takes it over
    if (!owner || owner === previous) this.byShort.set(short, entry);
  }

  get(id: string): ModuleEntry | undefined {
    return this.byId.get(id) ?? this.byShort.get(id.slice(id.lastIndexOf('.') + 1));
  }

  entries(): IterableIterator<ModuleEntry> {
    return this.byId.values();
  }

}
