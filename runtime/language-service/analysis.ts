import type { Program } from '../language/ast.js';
import { compileObserved, type CompileResult } from '../compiler/compile.js';
import type { FunctionRegistry } from '../compiler/registry.js';
import { DocumentPositions } from './positions.js';
import { SymbolCollector, type SymbolTable } from './symbols.js';

/**
 * Everything the editor features need about one version of a document, computed in one compile:
 * the tree, the diagnostics, the symbol table and the position table. Pure: the same text and
 * registry give the same analysis, so callers may cache it per (document version, registry version).
 */
export interface Analysis {
  readonly text: string;
  readonly positions: DocumentPositions;
  readonly program: Program;
  readonly compiled: CompileResult;
  readonly symbols: SymbolTable;
  /** The registry the document was checked against (read at analysis time, never a snapshot of it). */
  readonly registry: FunctionRegistry;
  readonly registryVersion: number;
}

export function analyze(text: string, registry: FunctionRegistry): Analysis {
  const collector = new SymbolCollector();
  const registryVersion = registry.version;
  const { result, program } = compileObserved(text, registry, collector);
  return { text, positions: new DocumentPositions(text), program, compiled: result, symbols: collector.table, registry, registryVersion };
}
