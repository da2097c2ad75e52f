import type { Dag } from '../../runtime/compiler/dag.js';
import { printType } from '../../runtime/types/type.js';

/**
 * `constellation/getDagStructure`: the compiled DAG as modules, data nodes and the edges between
 * them. Module nodes and data nodes (inputs, inline expressions) keep their node numbers as ids;
 * a module's result is the data node `<id>.out`, so ids agree with the step-through methods.
 */

export interface DagStructure {
  readonly modules: Record<string, { readonly name: string; readonly consumes: Record<string, string>; readonly produces: Record<string, string> }>;
  readonly data: Record<string, { readonly name: string; readonly cType: string }>;
  readonly inEdges: (readonly [string, string])[];
  readonly outEdges: (readonly [string, string])[];
  readonly declaredOutputs: readonly string[];
}

export function dagStructureOf(dag: Dag): DagStructure {
  const modules: DagStructure['modules'] = {};
  const data: DagStructure['data'] = {};
  const inEdges: (readonly [string, string])[] = [];
  const outEdges: (readonly [string, string])[] = [];
  const dataIdOf = (id: number) => (dag.nodes[id]!.kind === 'module' ? `${id}.out` : String(id));
  for (const node of dag.nodes) {
    const name = dag.variables[node.id] ?? node.name;
    if (node.kind !== 'module') {
      data[String(node.id)] = { name, cType: printType(node.type) };
      continue;
    }
    const consumes: Record<string, string> = {};
    node.params.forEach((p, i) => {
      const arg = node.args[i]!;
      consumes[p] = printType(dag.nodes[arg]!.type);
      inEdges.push([dataIdOf(arg), String(node.id)]);
    });
    modules[String(node.id)] = { name: node.function, consumes, produces: { [node.outputField]: printType(node.type) } };
    data[`${node.id}.out`] = { name, cType: printType(node.type) };
    outEdges.push([String(node.id), `${node.id}.out`]);
  }
  return { modules, data, inEdges, outEdges, declaredOutputs: dag.outputs.map((o) => o.name) };
}
