import type { Dag, ModuleNode } from '../runtime/compiler/dag.js';
import type { ModuleEntry, ModuleRegistry } from '../runtime/engine/module-registry.js';
import { ctypeString } from '../runtime/types/ctype.js';
import type { Type } from '../runtime/types/type.js';

/**
 * The ModuleInfo wire shape of `/modules` and of a pipeline's detail:
 * - `version` is `<major>.<minor>` of the module's semver (`2.3.1` → `2.3`).
 * - `inputs` keep the parameter order (= argument order of a call); `outputs` is the single
 *   output field, or every field (sorted) of a module whose output has several.
 */

/** `1.4.2` → `1.4`; `2` → `2.0`; anything unparsable is reported as given. */
export function majorMinor(version: string): string {
  const m = /^v?(\d+)(?:\.(\d+))?/.exec(version.trim());
  return m ? `${m[1]}.${m[2] ?? '0'}` : version;
}

function outputTypes(outputField: string, returns: Type): Record<string, string> {
  if (outputField === '*' && returns.k === 'Record') {
    const fields = [...returns.fields].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return Object.fromEntries(fields.map(([n, t]) => [n, ctypeString(t)]));
  }
  return { [outputField]: ctypeString(returns) };
}

function describe(entry: ModuleEntry): string {
  return entry.prepared?.module.description || entry.signature.description || '';
}

/** The ModuleInfo of `/modules`. */
export function moduleInfo(entry: ModuleEntry) {
  const sig = entry.signature;
  return {
    name: entry.id,
    description: describe(entry),
    version: majorMinor(entry.version),
    inputs: Object.fromEntries(sig.params.map((p) => [p.name, ctypeString(p.type)])),
    outputs: outputTypes(sig.outputField, sig.returns),
  };
}

/**
 * ModuleInfo of a module node of a stored DAG: from the registry when the module is registered,
 * else (a module no longer loaded) from the node's own types, with an empty description and
 * version `0.0`.
 */
export function moduleNodeInfo(modules: ModuleRegistry, dag: Dag, node: ModuleNode) {
  const entry = modules.get(node.module);
  if (entry) return moduleInfo(entry);
  return {
    name: node.module,
    description: '',
    version: '0.0',
    inputs: Object.fromEntries(node.params.map((p, i) => [p, ctypeString(dag.nodes[node.args[i]!]!.type)])),
    outputs: outputTypes(node.outputField, node.type),
  };
}

