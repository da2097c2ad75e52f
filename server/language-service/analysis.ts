import type { Program } from '../../runtime/language/ast.js';
import { compileObserved } from '../../runtime/compiler/compile.js';
import type { Diagnostic } from '../../runtime/language/diagnostics.js';
import type { FunctionRegistry } from '../../runtime/compiler/registry.js';
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
  /** Errors and warnings, in source order. */
  readonly diagnostics: readonly Diagnostic[];
  readonly symbols: SymbolTable;
  /** The registry the document was checked against (read at analysis time, never a snapshot of it). */
  readonly registry: FunctionRegistry;
  readonly registryVersion: number;
}

export function analyze(text: string, registry: FunctionRegistry): Analysis {
  const collector = new SymbolCollector();
  const registryVersion = registry.version;
  const { program, diagnostics } = compileObserved(text, registry, collector);
  return { text, positions: new DocumentPositions(text), program, diagnostics, symbols: collector.table, registry, registryVersion };
}
