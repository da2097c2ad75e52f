import { createHash } from 'node:crypto';
import type { AdvertisedNamespace, ProviderSource } from '../../cluster/provider-advertisement.js';
import type { DeclaredModule } from './connection.js';
import type { ProviderDirectory } from './directory.js';

/**
 * The provider port's connections as the cluster advertises them to the other instances: per
 * namespace claim its group id, the executors of its live members, and each module the engine
 * holds for it with a digest of its input and output schemas (equal digests, same types).
 */
export function advertisedProviders(directory: ProviderDirectory): ProviderSource {
  const digests = new WeakMap<DeclaredModule, string>();
  const digestOf = (decl: DeclaredModule): string => {
    let d = digests.get(decl);
    if (d === undefined) digests.set(decl, (d = createHash('sha256').update(decl.shape).digest('hex').slice(0, 16)));
    return d;
  };
  return {
    snapshot: (): AdvertisedNamespace[] =>
      [...directory.claims.values()]
        .map((claim) => ({
          namespace: claim.namespace,
          groupId: claim.groupId,
          executorUrls: [...new Set(claim.members.filter((m) => m.state !== 'Disconnected').map((m) => m.executorUrl))],
          modules: Object.fromEntries([...claim.modules].map(([name, decl]) => [name, digestOf(decl)])),
        }))
        .filter((ns) => Object.keys(ns.modules).length > 0)
        .sort((a, b) => a.namespace.localeCompare(b.namespace)),
    onChange: (listener) => directory.onChange(listener),
  };
}
