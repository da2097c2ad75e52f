import { createHash } from 'node:crypto';
import { canonicalType, type Type } from '../types/type.js';

/**
 * What the compiler compiles against: function signatures (standard library, host modules and,
 * later, provider modules). Knows nothing of implementations.
 */
export interface FunctionSignature {
  /** Simple name (`add`, `Uppercase`). */
  readonly name: string;
  /** Namespace (`stdlib.math`), absent for host modules called by bare name. */
  readonly namespace?: string;
  readonly params: readonly { readonly name: string; readonly type: Type }[];
  readonly returns: Type;
  /** The module's single output field (`out`, `result`, …). */
  readonly outputField: string;
  /** Registry name of the module that executes the call (`stdlib.add`, `Uppercase`). */
  readonly module: string;
  /**
   * `module`: executed as a DAG module node; `higher-order`: compiled inline with a lambda
   * (filter/map/all/any); `operator`: registered for completeness but not callable by name.
   */
  readonly kind: 'module' | 'higher-order' | 'operator';
  /** Type variables of a generic signature (the higher-order functions). */
  readonly typeParams?: readonly string[];
  /** A pure, synchronous standard-library function that may also run inline in lambda bodies. */
  readonly pure?: boolean;
  readonly version?: string;
  readonly description?: string;
  /** Free-form labels of a module (shown by the editor). */
  readonly tags?: readonly string[];
}

export function qualifiedName(sig: Pick<FunctionSignature, 'name' | 'namespace'>): string {
  return sig.namespace ? `${sig.namespace}.${sig.name}` : sig.name;
}

export function signatureText(sig: FunctionSignature): string {
  const params = sig.params.map((p) => `${p.name}: ${canonicalType(p.type)}`).join(', ');
  const generics = sig.typeParams?.length ? `<${sig.typeParams.join(', ')}>` : '';
  return `${qualifiedName(sig)}${generics}(${params}) -> ${canonicalType(sig.returns)} [${sig.kind} ${sig.module}.${sig.outputField}${sig.version ? ' v' + sig.version : ''}]`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class FunctionRegistry {
  private readonly byQualified = new Map<string, FunctionSignature>();
  private readonly bySimple = new Map<string, FunctionSignature[]>();
  private readonly namespaceSet = new Set<string>();
  private fingerprints = new Map<string, string>();
  private hashCache: string | undefined;
  private versionCounter = 0;

  constructor(signatures: Iterable<FunctionSignature> = []) {
    for (const s of signatures) this.register(s);
  }

  /** Registers (or replaces) a signature. */
  register(sig: FunctionSignature): void {
    const q = qualifiedName(sig);
    const previous = this.byQualified.get(q);
    if (previous) this.removeSimple(previous);
    this.byQualified.set(q, sig);
    const list = this.bySimple.get(sig.name) ?? [];
    list.push(sig);
    this.bySimple.set(sig.name, list);
    if (sig.namespace) {
      const parts = sig.namespace.split('.');
      for (let i = 1; i <= parts.length; i++) this.namespaceSet.add(parts.slice(0, i).join('.'));
    }
    this.changed();
  }

  deregister(qualified: string): boolean {
    const sig = this.byQualified.get(qualified);
    if (!sig) return false;
    this.byQualified.delete(qualified);
    this.removeSimple(sig);
    this.namespaceSet.clear();
    for (const s of this.byQualified.values()) {
      if (!s.namespace) continue;
      const parts = s.namespace.split('.');
      for (let i = 1; i <= parts.length; i++) this.namespaceSet.add(parts.slice(0, i).join('.'));
    }
    this.changed();
    return true;
  }

  private removeSimple(sig: FunctionSignature): void {
    const list = this.bySimple.get(sig.name);
    if (!list) return;
    const rest = list.filter((s) => s !== sig);
    if (rest.length) this.bySimple.set(sig.name, rest);
    else this.bySimple.delete(sig.name);
  }

  private changed(): void {
    this.fingerprints = new Map();
    this.hashCache = undefined;
    this.versionCounter++;
  }

  /** Increases whenever the registry changes. */
  get version(): number {
    return this.versionCounter;
  }

  get(qualified: string): FunctionSignature | undefined {
    return this.byQualified.get(qualified);
  }

  withSimpleName(name: string): readonly FunctionSignature[] {
    return this.bySimple.get(name) ?? [];
  }

  simpleNames(): IterableIterator<string> {
    return this.bySimple.keys();
  }

  all(): IterableIterator<FunctionSignature> {
    return this.byQualified.values();
  }

  get size(): number {
    return this.byQualified.size;
  }

  isNamespace(ns: string): boolean {
    return this.namespaceSet.has(ns);
  }

  namespaces(): string[] {
    return [...this.namespaceSet].sort();
  }

  /** `use N` is valid iff some namespace equals N or starts with `N.`. */
  hasNamespacePrefix(ns: string): boolean {
    if (this.namespaceSet.has(ns)) return true;
    for (const q of this.byQualified.keys()) if (q.startsWith(ns + '.')) return true;
    return false;
  }

  /**
   * Fingerprint of everything a lookup of `name` (simple or qualified name, or namespace) can
   * observe. The compile cache stores the fingerprints of the names a program looked up; an
   * entry stays valid while they are unchanged, so instances with different unrelated modules
   * still share entries.
   */
  fingerprint(name: string): string {
    let f = this.fingerprints.get(name);
    if (f === undefined) {
      const parts: string[] = [];
      const q = this.byQualified.get(name);
      if (q) parts.push('q:' + signatureText(q));
      for (const s of this.bySimple.get(name) ?? []) parts.push('s:' + signatureText(s));
      if (this.namespaceSet.has(name)) parts.push('n');
      else if (this.hasNamespacePrefix(name)) parts.push('p');
      f = parts.length === 0 ? '-' : sha256(parts.sort().join('\n')).slice(0, 32);
      this.fingerprints.set(name, f);
    }
    return f;
  }

  /**
   * The dependency hash of a program: SHA-256 over the fingerprints of the names it looked up
   * (CompileResult.lookups). It changes only when something the program depends on changes, so
   * instances whose registries differ in modules a pipeline does not use agree on it — the
   * shared syntactic index of a cluster keys on it instead of the whole registry's hash.
   */
  dependencyHash(names: Iterable<string>): string {
    const lines = [...new Set(names)].sort().map((n) => `${n}=${this.fingerprint(n)}`);
    return sha256(lines.join('\n'));
  }

  /** SHA-256 of the sorted signature list. */
  hash(): string {
    if (this.hashCache === undefined) {
      this.hashCache = sha256([...this.byQualified.values()].map(signatureText).sort().join('\n'));
    }
    return this.hashCache;
  }
}
