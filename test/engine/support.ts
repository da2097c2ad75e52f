import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createRuntime, EXAMPLE_MODULES_FILE, type Runtime, type RuntimeOptions } from '../../actors/runtime-factory.js';
import type { Dag } from '../../runtime/compiler/dag.js';
import type { Engine } from '../../runtime/engine/engine.js';
import type { ExecutionResult, NodeResult } from '../../runtime/engine/result.js';

/** Shared helpers of the engine tests (not a test file itself). Paths are of the compiled files. */

export const FAULTS_FILE = fileURLToPath(new URL('../fixtures/modules/faults.js', import.meta.url));
export const IMPORT_THROWS_FILE = fileURLToPath(new URL('../fixtures/modules/import-throws.js', import.meta.url));
export const ENGINE_MODULES_FILE = fileURLToPath(new URL('../fixtures/modules/engine.js', import.meta.url));
export { EXAMPLE_MODULES_FILE };

/** Warnings of `on_error: log` are collected instead of written to stderr. */
export interface TestRuntime extends Runtime {
  readonly warnings: string[];
}

export async function startRuntime(options: RuntimeOptions = {}): Promise<TestRuntime> {
  const warnings: string[] = [];
  const rt = await createRuntime({
    moduleFiles: [EXAMPLE_MODULES_FILE, ENGINE_MODULES_FILE],
    warn: (m) => warnings.push(m),
    // a loaded CI machine can hold any synchronous call past the 50 ms stall report; tests that
    // count warnings must see only the ones they cause (the stall report has a test of its own)
    frontStallMs: 10_000,
    ...options,
    pool: { threads: 2, ...options.pool },
  });
  return Object.assign(rt, { warnings });
}

/** Runs `body` with a fresh runtime and always closes it. */
export async function withRuntime<T>(options: RuntimeOptions, body: (rt: TestRuntime) => Promise<T>): Promise<T> {
  const rt = await startRuntime(options);
  try {
    return await body(rt);
  } finally {
    await rt.close();
  }
}

export function compileOk(engine: Engine, source: string): Dag {
  const r = engine.compile(source);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.ok(r.ok && r.dag, `compilation failed:\n${source}\n${errors.map((d) => `${d.code} ${d.message}`).join('\n')}`);
  return r.dag;
}

/** The per-node record of the variable `name` (needs `includeNodes`). */
export function node(result: ExecutionResult, name: string): NodeResult {
  assert.ok(result.nodes, 'run with includeNodes');
  const found = result.nodes.filter((n) => n.name === name);
  assert.ok(found.length > 0, `no node named '${name}' in ${result.nodes.map((n) => n.name).join(', ')}`);
  // a variable bound to a call names both the call and (sometimes) a wrapper: prefer the module node
  return found.find((n) => n.kind === 'module') ?? found[0]!;
}

/** Module state (`createState`) of a front module of this engine. */
export function stateOf<S>(engine: Engine, module: string): S {
  const entry = engine.modules.get(module);
  assert.ok(entry, `module ${module} is not registered`);
  return entry.state as S;
}

/** Plain-JSON comparison: key order irrelevant, numbers by value (`-0` equals `0`, `12.0` equals `12`). */
export function assertSameJson(actual: unknown, expected: unknown, message?: string): void {
  assert.deepStrictEqual(normalise(actual), normalise(expected), message);
}

function normalise(v: unknown): unknown {
  if (typeof v === 'number') return v === 0 ? 0 : v;
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = normalise((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function describeResult(r: ExecutionResult): string {
  return JSON.stringify({ status: r.status, outputs: r.outputs, errors: r.errors, pendingOutputs: r.pendingOutputs, missingInputs: r.missingInputs }, null, 1);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `predicate` every 10 ms until it holds or `timeoutMs` passes. */
export async function eventually(predicate: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Module nodes calling `module` (needs `includeNodes`), in node order. */
export function moduleNodes(result: ExecutionResult, module: string): NodeResult[] {
  assert.ok(result.nodes, 'run with includeNodes');
  return result.nodes.filter((n) => n.kind === 'module' && n.name === module);
}
