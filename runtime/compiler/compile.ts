import { estimatedCodeFootprint } from '../codegen/pipeline-codec.js';
import { DiagnosticSink, locate, type Diagnostic } from '../language/diagnostics.js';
import type { Program } from '../language/ast.js';
import { parse } from '../language/parser.js';
import { LineMap } from '../language/source.js';
import { CompileCache } from './cache.js';
import { check } from './checker.js';
import type { Dag, DagSourceMap } from './dag.js';
import { measuredStructuralHash, syntacticHash } from './hash.js';
import type { CheckObserver } from './observer.js';
import type { FunctionRegistry } from './registry.js';

/**
 * The one entry point everyone uses (server, engine, LSP, CLI):
 * `compile(source, registry) → { dag, diagnostics, hashes }`. Never throws: any string yields
 * diagnostics; an internal failure becomes an E900 diagnostic instead of an exception.
 */

export interface CompileHashes {
  /** SHA-256 of the source text. */
  readonly syntactic: string;
  /** SHA-256 of the canonical DAG (present when compilation succeeded). */
  readonly structural: string | null;
}

export interface CompileResult {
  readonly ok: boolean;
  readonly dag: Dag | null;
  readonly sourceMap: DagSourceMap | null;
  /** Errors and warnings, in source order, each with code, message and exact range. */
  readonly diagnostics: readonly Diagnostic[];
  readonly hashes: CompileHashes;
  /** Registry names the program looked up (the compile cache's key). */
  readonly lookups: readonly string[];
  /**
   * Estimated heap bytes the result holds with its source (the source text, the DAG, the source
   * map, the diagnostics): what the compile cache and the image memory budgets count.
   */
  readonly footprint: number;
}

export interface CompileOptions {
  /** A cache to consult and fill; `undefined` compiles cold. */
  readonly cache?: CompileCache<CompileResult>;
}

export interface ParseResult {
  readonly program: Program;
  readonly diagnostics: readonly Diagnostic[];
}

/** Parse only (no types): for editor features that need the tree of a broken program. */
export function parseSource(source: string): ParseResult {
  const sink = new DiagnosticSink();
  const program = parse(source, sink);
  const lines = new LineMap(source);
  return { program, diagnostics: sink.items.map((d) => locate(d, lines)) };
}

export function compile(source: string, registry: FunctionRegistry, options: CompileOptions = {}): CompileResult {
  const cache = options.cache;
  if (cache) {
    const hit = cache.get(source, registry);
    if (hit) return hit;
  }
  const result = compileUncached(source, registry);
  // a failed compile's suggestions come from every registered name: its entry depends on them all
  if (cache) cache.set(source, registry, result.lookups, result, !result.ok, result.footprint);
  return result;
}

/**
 * Checks a source with an observer of the type checker (never cached, no hashes): for the
 * language service, which needs the tree, the types and the name resolutions besides the
 * diagnostics, and must not pay for hashing on every keystroke.
 */
export function compileObserved(source: string, registry: FunctionRegistry, observer: CheckObserver): { program: Program; diagnostics: readonly Diagnostic[] } {
  const checked = checkSource(source, registry, observer);
  return { program: checked.program, diagnostics: checked.diagnostics };
}

const EMPTY_PROGRAM: Program = { declarations: [], span: { start: 0, end: 0 } };

interface Checked {
  readonly text: string;
  readonly program: Program;
  readonly ok: boolean;
  readonly dag: Dag | null;
  readonly sourceMap: DagSourceMap | null;
  readonly diagnostics: readonly Diagnostic[];
  readonly lookups: readonly string[];
}

function checkSource(source: string, registry: FunctionRegistry, observer: CheckObserver | undefined): Checked {
  const text = typeof source === 'string' ? source : String(source);
  const sink = new DiagnosticSink();
  let dag: Dag | null = null;
  let sourceMap: DagSourceMap | null = null;
  let lookups: readonly string[] = [];
  let program = EMPTY_PROGRAM;
  try {
    program = parse(text, sink);
    const checked = check(program.declarations, registry, sink, observer);
    lookups = [...checked.lookups];
    if (!sink.hasErrors) {
      const built = checked.builder.build();
      dag = built.dag;
      sourceMap = built.sourceMap;
    }
  } catch (e) {
    // A compiler bug or an exhausted stack must not take the caller down.
    const message = e instanceof Error ? e.message : String(e);
    sink.error('E900', `Internal compiler error: ${message}`, { start: 0, end: Math.min(text.length, 1) });
    dag = null;
  }
  const lines = new LineMap(text);
  const diagnostics = sink.items.map((d) => locate(d, lines)).sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  const ok = !sink.hasErrors && dag !== null;
  // the tree is kept only for an observer: held through hashing, a large tree costs the compile GC time
  return { text, program: observer ? program : EMPTY_PROGRAM, ok, dag: ok ? dag : null, sourceMap: ok ? sourceMap : null, diagnostics, lookups };
}

function compileUncached(source: string, registry: FunctionRegistry): CompileResult {
  const c = checkSource(source, registry, undefined);
  const measured = c.ok && c.dag ? measuredStructuralHash(c.dag) : null;
  return {
    ok: c.ok,
    dag: c.dag,
    sourceMap: c.sourceMap,
    diagnostics: c.diagnostics,
    hashes: { syntactic: syntacticHash(c.text), structural: measured?.hash ?? null },
    lookups: c.lookups,
    footprint: footprintOf(c.text, measured?.chars ?? 0, c.ok ? (c.sourceMap?.length ?? 0) : 0, c.diagnostics.length) + (c.dag ? estimatedCodeFootprint(c.dag) : 0),
  };
}

/**
 * The heap a compile result holds, estimated from what is cheap to know: two bytes a source
 * character (V8 strings may be two-byte), four bytes a character of the DAG's canonical text
 * (objects and arrays weigh more than their JSON; measured at 2.5–3.5 × for node-heavy programs),
 * a source-map entry and a diagnostic at fixed sizes. An overestimate errs on the safe side.
 * The generated decoder and encoders of a DAG (runtime/codegen) live as long as the DAG, so their
 * estimate is added by the caller.
 */
function footprintOf(source: string, dagChars: number, sourceMapEntries: number, diagnostics: number): number {
  return 2 * source.length + 4 * dagChars + 48 * sourceMapEntries + 512 * diagnostics + 1024;
}
