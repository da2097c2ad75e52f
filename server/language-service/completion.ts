import type { CompletionItem, CompletionList, Position, TextEdit } from 'vscode-languageserver-types';
import { KEYWORDS } from '../../runtime/language/tokens.js';
import { fieldType, type Type } from '../../runtime/types/type.js';
import type { Analysis } from './analysis.js';
import { callableFunctions, callName, functionCompletionDoc, importsOf, signatureLine, typeText } from './functions.js';
import { CACHE_BACKENDS, DURATION_UNITS, OPTION_DOCS, OPTION_VALUES } from './option-docs.js';
import type { Declared } from './symbols.js';

/**
 * Completion (`textDocument/completion`). The context comes from the text before the cursor on
 * its line — the line being typed rarely parses — and the names and types from the last analysis
 * of the document: option names and values inside `with`, namespaces after `use`, record fields
 * and namespace members after `.`, type names in type positions, else variables and inputs in
 * scope, functions (by the name that calls them from this document) and keywords.
 */

// LSP CompletionItemKind values
const KIND = { Text: 1, Function: 3, Field: 5, Variable: 6, Class: 7, Module: 9, Property: 10, Keyword: 14, Struct: 22 } as const;

const KEYWORD_DOCS: readonly (readonly [string, string])[] = [
  ['in', 'input declaration'], ['out', 'output declaration'], ['use', 'import namespace'], ['as', 'alias for import'],
  ['type', 'type definition'], ['if', 'conditional expression'], ['else', 'else branch'], ['true', 'boolean literal'],
  ['false', 'boolean literal'], ['when', 'guard: value when condition'], ['branch', 'multi-way conditional'],
  ['match', 'pattern match on a union or record'], ['otherwise', 'last arm of a branch'], ['and', 'boolean and'],
  ['or', 'boolean or'], ['not', 'boolean not'], ['with', 'module call options'],
];

const BUILTIN_TYPES: readonly (readonly [string, string])[] = [
  ['String', 'String'], ['Int', 'Int'], ['Float', 'Float'], ['Boolean', 'Boolean'], ['List', 'List<${1}>'],
  ['Seq', 'Seq<${1}>'], ['Map', 'Map<${1}, ${2}>'], ['Optional', 'Optional<${1}>'], ['Candidates', 'Candidates<${1}>'],
];

const IDENT = /[A-Za-z0-9_]/;

export function completionsAt(analysis: Analysis, position: Position): CompletionList {
  const offset = analysis.positions.offsetAt(position);
  const before = analysis.positions.lineBefore(offset);
  const items = withClauseItems(before) ?? useItems(analysis, before, position) ?? dotItems(analysis, before, offset) ?? typeItems(analysis, before, offset) ?? generalItems(analysis, before, offset);
  return { isIncomplete: false, items };
}

/** The identifier characters just before the cursor. */
function wordBefore(before: string): string {
  let i = before.length;
  while (i > 0 && IDENT.test(before[i - 1]!)) i--;
  return before.slice(i);
}

// ---------------------------------------------------------------- with clauses

function withClauseItems(before: string): CompletionItem[] | undefined {
  for (const [option, { values, detail }] of Object.entries(OPTION_VALUES)) {
    if (new RegExp(`\\b${option}:\\s*\\w*$`).test(before)) {
      return values.map((v) => ({ label: v, kind: KIND.Field, detail, insertText: v }));
    }
  }
  if (/\bcache_backend:\s*"?\w*$/.test(before)) {
    return CACHE_BACKENDS.map((b) => ({ label: `"${b}"`, kind: KIND.Text, detail: 'Cache backend', insertText: `"${b}"`, filterText: b }));
  }
  const duration = /\b(timeout|delay|cache|batch_timeout):\s*(\d+)$/.exec(before);
  if (duration) {
    return DURATION_UNITS.map(({ unit, name }) => ({ label: unit, kind: KIND.Text, detail: name, documentation: `${duration[2]} ${name}`, insertText: unit }));
  }
  const at = before.lastIndexOf(' with ');
  const clause = at >= 0 ? before.slice(at + 6) : /^\s*with\s/.test(before) ? before.replace(/^\s*with\s/, '') : undefined;
  if (clause !== undefined) {
    const segments = clause.split(',');
    const last = segments[segments.length - 1]!;
    if (!last.includes(':') && /^\s*\w*$/.test(last)) {
      const used = new Set(segments.slice(0, -1).map((s) => /^\s*(\w+)\s*:?/.exec(s)?.[1]).filter((n): n is string => n !== undefined));
      return OPTION_DOCS.filter((o) => !used.has(o.name)).map((o, i) => ({
        label: o.name,
        kind: KIND.Property,
        detail: `${o.valueType} - ${o.summary}`,
        documentation: o.description,
        insertText: `${o.name}: ${o.placeholder}`,
        sortText: String(i).padStart(2, '0'),
      }));
    }
    return undefined;
  }
  // right after a call's closing parenthesis: offer `with`
  if (/[A-Za-z_][\w.-]*\([^()]*\)\s+$/.test(before)) {
    return [{ label: 'with', kind: KIND.Keyword, detail: '(module call options)', insertText: 'with ', sortText: '0_with' }];
  }
  return undefined;
}

// ---------------------------------------------------------------- use lines

function useItems(analysis: Analysis, before: string, position: Position): CompletionItem[] | undefined {
  const m = /^(\s*use\s+)([\w.-]*)$/.exec(before);
  if (!m) return undefined;
  const typed = m[2]!;
  const range = { start: { line: position.line, character: m[1]!.length }, end: position };
  return analysis.registry.namespaces()
    .filter((ns) => ns.toLowerCase().startsWith(typed.toLowerCase()))
    .map((ns) => {
      const edit: TextEdit = { range, newText: ns };
      return { label: ns, kind: KIND.Module, detail: `Namespace: ${ns}`, documentation: `Import the functions of ${ns}`, textEdit: edit, filterText: ns, sortText: `0_${ns}` };
    });
}

// ---------------------------------------------------------------- after a dot

function dotItems(analysis: Analysis, before: string, offset: number): CompletionItem[] | undefined {
  const m = /([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\.(\w*)$/.exec(before);
  if (!m) return undefined;
  const chain = m[1]!.split('.');
  const partial = m[2]!.toLowerCase();
  const variable = analysis.symbols.visibleAt(offset - before.length + m.index).find((d) => d.name === chain[0]);
  if (variable) {
    const record = recordBehind(variable, chain.slice(1));
    if (!record) return [];
    return record.fields
      .filter(([name]) => name.toLowerCase().startsWith(partial))
      .map(([name, type]) => ({ label: name, kind: KIND.Field, detail: typeText(type), insertText: name }));
  }
  const imports = importsOf(analysis.program);
  const namespace = imports.aliases.get(chain[0]!) !== undefined ? [imports.aliases.get(chain[0]!)!, ...chain.slice(1)].join('.') : chain.join('.');
  const items: CompletionItem[] = [];
  for (const sig of callableFunctions(analysis.registry)) {
    if (sig.namespace !== namespace || !sig.name.toLowerCase().startsWith(partial)) continue;
    items.push({
      label: sig.name,
      kind: KIND.Function,
      detail: signatureLine(sig, `${sig.namespace}.${sig.name}`),
      documentation: { kind: 'markdown', value: functionCompletionDoc(sig) },
      insertText: `${sig.name}()`,
    });
  }
  const prefix = namespace + '.';
  for (const ns of analysis.registry.namespaces()) {
    if (!ns.startsWith(prefix)) continue;
    const next = ns.slice(prefix.length).split('.')[0]!;
    if (next.toLowerCase().startsWith(partial) && !items.some((i) => i.label === next)) {
      items.push({ label: next, kind: KIND.Module, detail: `Namespace: ${prefix}${next}`, insertText: next });
    }
  }
  return items;
}

/** The record whose fields follow `variable.a.b.`; lists of records give their element's fields. */
function recordBehind(variable: Declared, path: readonly string[]): Extract<Type, { k: 'Record' }> | undefined {
  let t: Type | undefined = variable.type;
  for (const part of [...path, undefined]) {
    if (!t) return undefined;
    if ((t.k === 'List' || t.k === 'Seq') && t.of.k === 'Record') t = t.of;
    if (t.k !== 'Record') return undefined;
    if (part === undefined) return t;
    t = fieldType(t, part);
  }
  return undefined;
}

// ---------------------------------------------------------------- type positions

function typeItems(analysis: Analysis, before: string, offset: number): CompletionItem[] | undefined {
  const inTypePosition =
    /^\s*(?:@.*\s)?in\s+[A-Za-z_][\w-]*\s*:\s*[^=]*$/.test(before) || /^\s*type\s+[A-Za-z_][\w-]*\s*=\s*.*$/.test(before);
  if (!inTypePosition) return undefined;
  const word = wordBefore(before).toLowerCase();
  const items: CompletionItem[] = BUILTIN_TYPES.filter(([n]) => n.toLowerCase().startsWith(word)).map(([label, snippet]) => ({
    label,
    kind: KIND.Class,
    detail: 'built-in type',
    insertText: snippet.replace(/\$\{\d\}/g, ''),
  }));
  for (const t of analysis.symbols.typesBefore(offset)) {
    if (t.name.toLowerCase().startsWith(word)) items.push({ label: t.name, kind: KIND.Struct, detail: typeText(t.type), insertText: t.name });
  }
  return items;
}

// ---------------------------------------------------------------- everything else

function generalItems(analysis: Analysis, before: string, offset: number): CompletionItem[] {
  const word = wordBefore(before).toLowerCase();
  const matches = (label: string) => label.toLowerCase().startsWith(word);
  const items: CompletionItem[] = [];
  for (const d of analysis.symbols.visibleAt(offset - word.length)) {
    if (!matches(d.name)) continue;
    items.push({
      label: d.name,
      kind: KIND.Variable,
      detail: d.kind === 'input' ? `input: ${typeText(d.type)}` : typeText(d.type),
      insertText: d.name,
      sortText: `1_${d.name}`,
    });
  }
  const imports = importsOf(analysis.program);
  for (const sig of callableFunctions(analysis.registry)) {
    const name = callName(sig, imports, analysis.registry);
    if (!matches(name)) continue;
    items.push({
      label: name,
      kind: KIND.Function,
      detail: signatureLine(sig, name),
      documentation: { kind: 'markdown', value: functionCompletionDoc(sig) },
      insertText: `${name}()`,
      filterText: name,
      sortText: `2_${name}`,
    });
  }
  for (const [keyword, what] of KEYWORD_DOCS) {
    if (!KEYWORDS.has(keyword) || !matches(keyword)) continue;
    items.push({ label: keyword, kind: KIND.Keyword, detail: `(${what})`, insertText: keyword === 'use' ? 'use ' : keyword, sortText: `3_${keyword}` });
  }
  return items;
}
