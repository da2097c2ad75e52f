/**
 * Provider schema divergence between instances: what the provider advertisements of the live
 * instances say about the same modules. Each instance is authoritative for the providers
 * connected to it (they register with every instance, one by one), so the cluster may disagree
 * for a while — during a provider's rolling restart — or for good, when two providers of the
 * same namespace reach different instances. Reported, never enforced:
 *
 * - `schema`: the same `<namespace>.<module>` with different schema digests on different
 *   instances (a pipeline compiled on one may be refused, or fail, on another);
 * - `missing`: a module provided on some advertising instances and not on others (a run routed
 *   there fails with "module not found");
 * - `ownership`: a namespace owned by a solo provider on one instance and a group (or another
 *   group) on another.
 *
 * Pure: the agent in provider-advertisement.ts feeds it and keeps when each finding was first seen.
 */

/** One provider namespace as an instance advertises it. */
export interface AdvertisedNamespace {
  readonly namespace: string;
  /** '' for a solo provider. */
  readonly groupId: string;
  /** The executors serving it on that instance (`host:port`). */
  readonly executorUrls: readonly string[];
  /** Module short name → digest of its input and output schemas. */
  readonly modules: Readonly<Record<string, string>>;
}

export type ProviderDivergenceKind = 'schema' | 'missing' | 'ownership';

export interface ProviderDivergence {
  readonly kind: ProviderDivergenceKind;
  /** `<namespace>.<module>`; the namespace itself for `ownership`. */
  readonly module: string;
  readonly namespace: string;
  /** `schema`: schema digest → instances holding it. */
  readonly schemas?: Readonly<Record<string, readonly string[]>>;
  /** `ownership`: group id (`(solo)` for a solo provider) → instances. */
  readonly owners?: Readonly<Record<string, readonly string[]>>;
  /** `missing` (and `schema` when also absent somewhere): instances that provide it / that do not. */
  readonly providedOn?: readonly string[];
  readonly missingOn?: readonly string[];
}

/** Instance ids listed per finding at most (a cluster of more instances is summarised by count). */
export const MAX_INSTANCES_LISTED = 20;

const listed = (ids: Iterable<string>): string[] => [...ids].sort().slice(0, MAX_INSTANCES_LISTED);

function grouped(byInstance: ReadonlyMap<string, string>): Record<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [id, value] of byInstance) {
    const ids = out.get(value) ?? [];
    ids.push(id);
    out.set(value, ids);
  }
  return Object.fromEntries([...out].sort(([a], [b]) => a.localeCompare(b)).map(([v, ids]) => [v, listed(ids)]));
}

/**
 * Every divergence between the advertisements of `instances` (instance id → its namespaces),
 * sorted by module name then kind. Instances that advertise nothing are not compared (an
 * instance without a provider port has no advertisement at all).
 */
export function providerDivergence(instances: ReadonlyMap<string, readonly AdvertisedNamespace[]>): ProviderDivergence[] {
  if (instances.size < 2) return [];
  const modules = new Map<string, { namespace: string; digests: Map<string, string> }>();
  const owners = new Map<string, Map<string, string>>();
  for (const [id, namespaces] of instances) {
    for (const ns of namespaces) {
      let owner = owners.get(ns.namespace);
      if (!owner) owners.set(ns.namespace, (owner = new Map()));
      owner.set(id, ns.groupId === '' ? '(solo)' : ns.groupId);
      for (const [name, digest] of Object.entries(ns.modules)) {
        const qualified = `${ns.namespace}.${name}`;
        let m = modules.get(qualified);
        if (!m) modules.set(qualified, (m = { namespace: ns.namespace, digests: new Map() }));
        m.digests.set(id, digest);
      }
    }
  }
  const out: ProviderDivergence[] = [];
  const all = [...instances.keys()];
  for (const [module, { namespace, digests }] of modules) {
    const missingOn = all.filter((id) => !digests.has(id));
    const absent = missingOn.length > 0 ? { providedOn: listed(digests.keys()), missingOn: listed(missingOn) } : {};
    if (new Set(digests.values()).size > 1) out.push({ kind: 'schema', module, namespace, schemas: grouped(digests), ...absent });
    else if (missingOn.length > 0) out.push({ kind: 'missing', module, namespace, ...absent });
  }
  for (const [namespace, byInstance] of owners) {
    if (new Set(byInstance.values()).size > 1) out.push({ kind: 'ownership', module: namespace, namespace, owners: grouped(byInstance) });
  }
  return out.sort((a, b) => a.module.localeCompare(b.module) || a.kind.localeCompare(b.kind));
}
