import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import type { FunctionRegistry } from '../../runtime/compiler/registry.js';
import { analyze, type Analysis } from '../language-service/index.js';

/**
 * The open documents of one connection, within its limits (count, size), each with the analysis
 * of its current text. The analysis is computed on demand and kept until the text or the module
 * registry changes, so diagnostics, completion, hover and tokens of one version share one compile.
 */

export type DocumentRefusal = { readonly code: 'TooManyDocuments' | 'DocumentTooLarge' | 'DocumentNotOpen'; readonly message: string };

interface Entry {
  document: TextDocument;
  analysis: Analysis | undefined;
  /** The last semantic tokens sent, for delta requests. */
  tokens: { readonly resultId: string; readonly data: number[] } | undefined;
}

/** UTF-8 size of a text, without encoding it when its length already decides. */
function overLimit(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return Buffer.byteLength(text, 'utf8') > limit;
}

export class DocumentStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxDocuments: number, private readonly maxDocumentBytes: number) {}

  get size(): number {
    return this.entries.size;
  }

  open(uri: string, languageId: string, version: number, text: string): DocumentRefusal | undefined {
    if (overLimit(text, this.maxDocumentBytes)) return this.tooLarge(uri);
    if (!this.entries.has(uri) && this.entries.size >= this.maxDocuments) {
      return { code: 'TooManyDocuments', message: `Cannot open ${uri}: this connection already has ${this.entries.size} open documents (the limit)` };
    }
    this.entries.set(uri, { document: TextDocument.create(uri, languageId, version, text), analysis: undefined, tokens: undefined });
    return undefined;
  }

  /** Applies changes with or without ranges (incremental and full sync). */
  change(uri: string, version: number, changes: readonly TextDocumentContentChangeEvent[]): DocumentRefusal | undefined {
    const entry = this.entries.get(uri);
    if (!entry) return { code: 'DocumentNotOpen', message: `${uri} is not open` };
    // an oversized replacement is refused before it is applied (the old text stays)
    for (const c of changes) if (overLimit(c.text, this.maxDocumentBytes)) return this.tooLarge(uri);
    const updated = TextDocument.update(entry.document, [...changes], version);
    if (overLimit(updated.getText(), this.maxDocumentBytes)) return this.tooLarge(uri);
    entry.document = updated;
    entry.analysis = undefined;
    return undefined;
  }

  close(uri: string): boolean {
    return this.entries.delete(uri);
  }

  clear(): void {
    this.entries.clear();
  }

  get(uri: string): TextDocument | undefined {
    return this.entries.get(uri)?.document;
  }

  uris(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** The analysis of the current text against the registry as it is now. */
  analysis(uri: string, registry: FunctionRegistry): Analysis | undefined {
    const entry = this.entries.get(uri);
    if (!entry) return undefined;
    const a = entry.analysis;
    if (a && a.registry === registry && a.registryVersion === registry.version) return a;
    entry.analysis = analyze(entry.document.getText(), registry);
    return entry.analysis;
  }

  lastTokens(uri: string): Entry['tokens'] {
    return this.entries.get(uri)?.tokens;
  }

  rememberTokens(uri: string, tokens: NonNullable<Entry['tokens']>): void {
    const entry = this.entries.get(uri);
    if (entry) entry.tokens = tokens;
  }

  private tooLarge(uri: string): DocumentRefusal {
    return { code: 'DocumentTooLarge', message: `${uri} is larger than the limit of ${this.maxDocumentBytes} bytes; it is not analysed` };
  }
}
