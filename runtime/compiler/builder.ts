import type { Span } from '../language/source.js';
import type { Type } from '../types/type.js';
import { computeLayers, DAG_FORMAT_VERSION, type Dag, type DagInput, type DagNode, type DagOutput, type DagSourceMap, type Gate } from './dag.js';
import { collectRefs, type IrExpr, type NodeId } from './ir.js';
import type { ModuleCallOptions } from './options.js';

/**
 * Accumulates DAG nodes while the checker walks the program. Holds the current gate (the
 * condition under which nodes being created may run) and can be switched off, so `@example`
 * expressions are checked without producing nodes.
 */
export class DagBuilder {
  private readonly nodes: DagNode[] = [];
  private readonly spans: ([number, number] | null)[] = [];
  private readonly variables: (string | null)[] = [];
  private readonly inputs: DagInput[] = [];
  private readonly outputs: DagOutput[] = [];
  private gate: Gate | undefined;
  private emitting = true;

  get currentGate(): Gate | undefined {
    return this.gate;
  }

  get isEmitting(): boolean {
    return this.emitting;
  }

  withGate<R>(gate: Gate | undefined, body: () => R): R {
    const saved = this.gate;
    this.gate = gate;
    try {
      return body();
    } finally {
      this.gate = saved;
    }
  }

  withoutEmission<R>(body: () => R): R {
    const saved = this.emitting;
    this.emitting = false;
    try {
      return body();
    } finally {
      this.emitting = saved;
    }
  }

  private push(node: DagNode, span: Span | undefined): NodeId {
    this.nodes.push(node);
    this.spans.push(span ? [span.start, span.end] : null);
    this.variables.push(null);
    return node.id;
  }

  addInput(name: string, type: Type, span: Span): NodeId {
    if (!this.emitting) return -1;
    const id = this.push({ id: this.nodes.length, kind: 'input', name, type }, span);
    this.inputs.push({ name, type, node: id });
    this.variables[id] = name;
    return id;
  }

  addModule(spec: {
    name: string; module: string; fn: string; params: readonly string[]; args: readonly NodeId[];
    outputField: string; type: Type; options: ModuleCallOptions | undefined; span: Span;
  }): NodeId {
    if (!this.emitting) return -1;
    const node: DagNode = {
      id: this.nodes.length,
      kind: 'module',
      name: spec.name,
      type: spec.type,
      module: spec.module,
      function: spec.fn,
      params: spec.params,
      args: spec.args,
      outputField: spec.outputField,
      ...(spec.options ? { options: spec.options } : {}),
      ...(this.gate ? { gate: this.gate } : {}),
    };
    return this.push(node, spec.span);
  }

  addTransform(name: string, expr: IrExpr, type: Type, span: Span | undefined, recovers?: NodeId): NodeId {
    if (!this.emitting) return -1;
    const node: DagNode = {
      id: this.nodes.length,
      kind: 'transform',
      name,
      type,
      expr,
      deps: collectRefs(expr),
      ...(recovers !== undefined ? { recovers } : {}),
      ...(this.gate ? { gate: this.gate } : {}),
    };
    return this.push(node, span);
  }

  /** The node holding an expression's value: the node itself for a plain reference, else a new transform. */
  materialize(expr: IrExpr, type: Type, name: string, span: Span | undefined): NodeId {
    if (expr.op === 'ref') return expr.node;
    return this.addTransform(name, expr, type, span);
  }

  nameVariable(node: NodeId, variable: string): void {
    if (node >= 0 && this.variables[node] === null) this.variables[node] = variable;
  }

  variableOf(node: NodeId): string | null {
    return node >= 0 ? (this.variables[node] ?? null) : null;
  }

  nodeCount(): number {
    return this.nodes.length;
  }

  addOutput(name: string, type: Type, node: NodeId): void {
    if (!this.outputs.some((o) => o.name === name)) this.outputs.push({ name, type, node });
  }

  build(): { dag: Dag; sourceMap: DagSourceMap } {
    const dag: Dag = {
      formatVersion: DAG_FORMAT_VERSION,
      inputs: this.inputs,
      outputs: this.outputs,
      nodes: this.nodes,
      layers: computeLayers(this.nodes),
      variables: this.variables,
    };
    return { dag, sourceMap: this.spans };
  }
}
