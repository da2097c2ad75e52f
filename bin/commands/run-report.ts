import { EXIT, type ExitCode } from '../cli/exit.js';
import { compactJson, type Output } from '../cli/output.js';
import { readableType } from '../cli/type-text.js';

/**
 * How `run` reports an execution, local or remote: outputs on stdout; a suspended run lists
 * the missing inputs (exit 0); a failed, cancelled or timed-out run prints its errors on stderr
 * (exit 2). `--json` prints the whole result.
 */

export interface RunOutcome {
  readonly status: string;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly missingInputs: Readonly<Record<string, string>>;
  readonly pendingOutputs: readonly string[];
  readonly executionId: string | null;
  readonly error: string | null;
  readonly durationMs: number | null;
  /** The `--json` object. */
  readonly json: Readonly<Record<string, unknown>>;
}

function printOutputs(out: Output, outputs: Readonly<Record<string, unknown>>): void {
  for (const [name, value] of Object.entries(outputs)) out.line(`${name}: ${compactJson(value)}`);
}

function printSuspended(out: Output, o: RunOutcome, remote: boolean): void {
  out.line(out.paused(`suspended${o.executionId ? ` (execution ${o.executionId})` : ''}: waiting for inputs`));
  for (const [name, type] of Object.entries(o.missingInputs)) out.line(`  missing input  ${name}: ${readableType(type)}`);
  if (o.pendingOutputs.length > 0) out.info(`  pending        ${o.pendingOutputs.join(', ')}`);
  printOutputs(out, o.outputs);
  if (remote) out.info(`  resume with POST /executions/${o.executionId ?? '<id>'}/resume`);
  else out.info(`  supply them with --input name=value (local runs are not kept for resume)`);
}

export function printRunOutcome(out: Output, o: RunOutcome, remote: boolean): ExitCode {
  out.result(o.json);
  if (o.status === 'completed') {
    out.info(out.ok(`completed${o.durationMs !== null ? ` in ${Math.round(o.durationMs)} ms` : ''}`));
    printOutputs(out, o.outputs);
    return EXIT.SUCCESS;
  }
  if (o.status === 'suspended') {
    printSuspended(out, o, remote);
    return EXIT.SUCCESS;
  }
  out.error(out.fail(`${o.status}: ${o.error ?? 'the execution did not complete'}`));
  printOutputs(out, o.outputs);
  return EXIT.RUNTIME_ERROR;
}
