import { printType } from '../types/type.js';
import { dependenciesOf, type Dag, type DagNode } from './dag.js';

/**
 * Renders a DAG for humans: Graphviz DOT or Mermaid (the CLI's `viz`). Inputs are ellipses,
 * module calls boxes, inline expressions rounded boxes, outputs double circles; a dashed edge is
 * a gate (the node runs only when the gate's test passes).
 */

function label(dag: Dag, node: DagNode): string {
  const variable = dag.variables[node.id];
  switch (node.kind) {
    case 'input': return `in ${node.name}: ${printType(node.type)}`;
    case 'module': return `${node.function}${variable ? ` → ${variable}` : ''}`;
    case 'transform': return `${variable ?? node.name}: ${printType(node.type)}`;
  }
}

function gateLabel(dag: Dag, node: DagNode): string {
  const g = node.gate!;
  return g.test === 'case' ? `case ${g.index}` : g.test;
}

function dotEscape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

export function toDot(dag: Dag, title = 'pipeline'): string {
  const lines = [`digraph "${dotEscape(title)}" {`, '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=11];'];
  for (const node of dag.nodes) {
    const shape = node.kind === 'input' ? 'ellipse' : node.kind === 'module' ? 'box' : 'box, style=rounded';
    lines.push(`  n${node.id} [label="${dotEscape(label(dag, node))}", shape=${shape}];`);
  }
  for (const node of dag.nodes) {
    const deps = node.kind === 'module' ? node.args : node.kind === 'transform' ? node.deps : [];
    for (const d of deps) lines.push(`  n${d} -> n${node.id};`);
    if (node.gate) lines.push(`  n${node.gate.node} -> n${node.id} [style=dashed, label="${dotEscape(gateLabel(dag, node))}"];`);
  }
  for (const out of dag.outputs) {
    lines.push(`  out_${sanitize(out.name)} [label="out ${dotEscape(out.name)}", shape=doublecircle];`);
    lines.push(`  n${out.node} -> out_${sanitize(out.name)};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

function mermaidText(s: string): string {
  return s.replace(/"/g, '#quot;').replace(/[<>]/g, (c) => (c === '<' ? '#lt;' : '#gt;'));
}

export function toMermaid(dag: Dag): string {
  const lines = ['flowchart LR'];
  for (const node of dag.nodes) {
    const text = mermaidText(label(dag, node));
    lines.push(node.kind === 'input' ? `  n${node.id}(["${text}"])` : node.kind === 'module' ? `  n${node.id}["${text}"]` : `  n${node.id}("${text}")`);
  }
  for (const node of dag.nodes) {
    for (const d of dependenciesOf(node)) {
      if (node.gate && d === node.gate.node && !(node.kind === 'transform' && node.deps.includes(d))) continue;
      lines.push(`  n${d} --> n${node.id}`);
    }
    if (node.gate) lines.push(`  n${node.gate.node} -. ${gateLabel(dag, node)} .-> n${node.id}`);
  }
  for (const out of dag.outputs) {
    lines.push(`  out_${sanitize(out.name)}((("out ${mermaidText(out.name)}")))`);
    lines.push(`  n${out.node} --> out_${sanitize(out.name)}`);
  }
  return lines.join('\n') + '\n';
}
