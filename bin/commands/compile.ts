import type { CompileResult } from '../../runtime/compiler/compile.js';
import { printType } from '../../runtime/types/type.js';
import { expectArgs } from '../cli/args.js';
import { toWireDiagnostic } from '../../runtime/language/diagnostic-wire.js';
import { compileFailure, reportWarnings, serverCompileFailure } from '../cli/compile-report.js';
import { connectionOf, wantsServer, type CommandContext } from '../cli/context.js';
import { CliError, EXIT, type ExitCode } from '../cli/exit.js';
import { readSource, type SourceFile } from '../cli/files.js';
import { expectShape, failUnlessOk, request } from '../cli/http.js';
import { compileLocally, moduleFiles } from '../cli/local.js';
import { CompileReply } from '../cli/schemas.js';

/**
 * `constellation compile <file>`: compiles locally (standard library, example modules,
 * `--modules`) and prints the diagnostics; with `--server <url>` / `--remote` it posts the source
 * to `POST /compile` under the file's stem instead. Exit 1 on compile errors.
 */

export async function compileCommand(cli: CommandContext): Promise<ExitCode> {
  const [file] = expectArgs(cli.args.args, ['file'], 'compile');
  const src = await readSource(file!);
  return wantsServer(cli) ? compileRemote(cli, src) : compileLocal(cli, src);
}

/** Declared inputs and outputs with their types (language spelling). */
export function signatureOfDag(result: CompileResult): { inputs: Record<string, string>; outputs: Record<string, string> } {
  const dag = result.dag!;
  return {
    inputs: Object.fromEntries(dag.inputs.map((i) => [i.name, printType(i.type)])),
    outputs: Object.fromEntries(dag.outputs.map((o) => [o.name, printType(o.type)])),
  };
}

async function compileLocal(cli: CommandContext, src: SourceFile): Promise<ExitCode> {
  const { out } = cli;
  const result = await compileLocally(src.text, moduleFiles(cli.args.modules, cli.env));
  const diagnostics = result.diagnostics.map(toWireDiagnostic);
  if (!result.ok) throw compileFailure(out, src, diagnostics);
  const warnings = reportWarnings(out, src, diagnostics);
  const { inputs, outputs } = signatureOfDag(result);
  out.line(out.ok(`${src.path} compiled (${result.dag!.nodes.length} nodes)`));
  out.info(`  structural hash  ${result.hashes.structural}`);
  out.info(`  inputs           ${Object.entries(inputs).map(([n, t]) => `${n}: ${t}`).join(', ') || '(none)'}`);
  out.info(`  outputs          ${Object.entries(outputs).map(([n, t]) => `${n}: ${t}`).join(', ') || '(none)'}`);
  out.result({ success: true, file: src.path, structuralHash: result.hashes.structural, syntacticHash: result.hashes.syntactic, inputs, outputs, warnings });
  return EXIT.SUCCESS;
}

async function compileRemote(cli: CommandContext, src: SourceFile): Promise<ExitCode> {
  const { out } = cli;
  const res = await request(connectionOf(cli), out, 'POST', '/compile', { body: { source: src.text, name: src.stem } });
  if (res.status !== 400) failUnlessOk(res);
  const reply = expectShape(res, CompileReply, 'compile');
  if (!reply.success || res.status === 400) {
    if (!isInvalidRequest(reply.errors)) throw serverCompileFailure(out, src, reply.diagnostics, reply.errors);
    throw new CliError(EXIT.RUNTIME_ERROR, `server rejected the request: ${reply.errors.join('; ') || `HTTP ${res.status}`}`, { status: res.status });
  }
  const warnings = reportWarnings(out, src, reply.diagnostics ?? []);
  out.line(out.ok(`${src.path} compiled on the server as '${src.stem}'`));
  out.info(`  structural hash  ${reply.structuralHash ?? '?'}`);
  out.result({ success: true, file: src.path, name: src.stem, structuralHash: reply.structuralHash ?? null, syntacticHash: reply.syntacticHash ?? null, warnings });
  return EXIT.SUCCESS;
}

/** A 400 that is about the request itself, not the program. */
function isInvalidRequest(errors: readonly string[]): boolean {
  return errors.length === 0 || errors.every((e) => e.startsWith('Invalid request') || e.startsWith('Unexpected error'));
}
