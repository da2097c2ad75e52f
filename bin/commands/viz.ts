import type { Dag } from '../../runtime/compiler/dag.js';
import { dependenciesOf } from '../../runtime/compiler/dag.js';
import { toDot, toMermaid } from '../../runtime/compiler/render.js';
import { printType } from '../../runtime/types/type.js';
import { expectArgs } from '../cli/args.js';
import { toWireDiagnostic } from '../../runtime/language/diagnostic-wire.js';
import { compileFailure } from '../cli/compile-report.js';
import type { CommandContext } from '../cli/context.js';
import { EXIT, usageError, type ExitCode } from '../cli/exit.js';
import { readSource } from '../cli/files.js';
import { compileLocally, moduleFiles } from '../cli/local.js';

/**
 * `constellation viz <file> [--format dot|mermaid|json]`: compiles locally and prints the DAG
 * as Graphviz DOT (default), Mermaid, or the JSON graph of the reference's operations guide
 * (`{nodes:[{id,label,dependencies}], edges:[{from,to}]}`).
 */

const FORMATS = ['dot', 'mermaid', 'json'] as const;
type Format = (typeof FORMATS)[number];

function formatOf(cli: CommandContext): Format {
  const f = (cli.args.format ?? cli.config.defaults?.viz_format ?? 'dot').toLowerCase();
  if (!(FORMATS as readonly string[]).includes(f)) throw usageError(`unknown format '${f}' (expected ${FORMATS.join(', ')})`);
  return f as Format;
}

function nodeLabel(dag: Dag, id: number): string {
  const node = dag.nodes[id]!;
  if (node.kind === 'input') return `${node.name}: ${printType(node.type)}`;
  if (node.kind === 'module') return node.function;
  return dag.variables[id] ?? node.name;
}

/** The JSON graph: DAG nodes `n<id>` plus one `output_<name>` node per declared output. */
export function toJsonGraph(dag: Dag) {
  const nodes = dag.nodes.map((n) => ({ id: `n${n.id}`, kind: n.kind, label: nodeLabel(dag, n.id), dependencies: [...new Set(dependenciesOf(n))].map((d) => `n${d}`) }));
  const outputs = dag.outputs.map((o) => ({ id: `output_${o.name}`, kind: 'output', label: `out: ${o.name}`, dependencies: [`n${o.node}`] }));
  const all = [...nodes, ...outputs];
  return { nodes: all, edges: all.flatMap((n) => n.dependencies.map((from) => ({ from, to: n.id }))) };
}

export async function vizCommand(cli: CommandContext): Promise<ExitCode> {
  if (cli.args.server !== undefined) throw usageError("'viz' always compiles locally; --server is not supported");
  const [file] = expectArgs(cli.args.args, ['file'], 'viz');
  const format = formatOf(cli);
  const src = await readSource(file!);
  const result = await compileLocally(src.text, moduleFiles(cli.args.modules, cli.env));
  if (!result.ok) throw compileFailure(cli.out, src, result.diagnostics.map(toWireDiagnostic));
  const dag = result.dag!;
  if (format === 'json') {
    const graph = toJsonGraph(dag);
    cli.out.raw(JSON.stringify(graph, null, 2) + '\n');
    cli.out.result({ success: true, file: src.path, format, graph });
  } else {
    const text = format === 'dot' ? toDot(dag, src.stem) : toMermaid(dag);
    cli.out.raw(text);
    cli.out.result({ success: true, file: src.path, format, output: text });
  }
  return EXIT.SUCCESS;
}
