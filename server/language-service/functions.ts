import type { Program } from '../../runtime/language/ast.js';
import { qualifiedName, type FunctionRegistry, type FunctionSignature } from '../../runtime/compiler/registry.js';
import { canonicalType, type Type } from '../../runtime/types/type.js';

/**
 * Functions as the editor shows them: how a function can be called from a given document (its
 * `use` lines decide), its signature line and its Markdown documentation. The registry is read
 * at the time of each request, so modules that appear or disappear at run time show up at once.
 */

/** The `use` lines of a document. */
export interface Imports {
  /** Namespaces imported whole (`use stdlib.math`). */
  readonly wildcards: ReadonlySet<string>;
  /** Alias → namespace (`use stdlib.math as m`). */
  readonly aliases: ReadonlyMap<string, string>;
}

export function importsOf(program: Program): Imports {
  const wildcards = new Set<string>();
  const aliases = new Map<string, string>();
  for (const d of program.declarations) {
    if (d.kind !== 'use') continue;
    if (d.alias) aliases.set(d.alias.name, d.path.text);
    else wildcards.add(d.path.text);
  }
  return { wildcards, aliases };
}

/** Functions a program can call by name (operators excluded). */
export function callableFunctions(registry: FunctionRegistry): FunctionSignature[] {
  const out: FunctionSignature[] = [];
  for (const s of registry.all()) if (s.kind !== 'operator') out.push(s);
  return out;
}

/**
 * The shortest name that calls `sig` from a document with these imports: the simple name when it
 * resolves to this function alone, `alias.name` through an alias, else the qualified name.
 */
export function callName(sig: FunctionSignature, imports: Imports, registry: FunctionRegistry): string {
  if (!sig.namespace) return sig.name;
  const noImports = imports.wildcards.size === 0 && imports.aliases.size === 0;
  if (noImports || imports.wildcards.has(sig.namespace)) {
    const candidates = registry.withSimpleName(sig.name).filter((s) => s.kind !== 'operator' && (!s.namespace || noImports || imports.wildcards.has(s.namespace)));
    if (candidates.length === 1) return sig.name;
  }
  for (const [alias, ns] of imports.aliases) if (ns === sig.namespace) return `${alias}.${sig.name}`;
  return qualifiedName(sig);
}

/** Resolves a callee as written in a document (simple, aliased or qualified), as the checker does. */
export function resolveCallee(text: string, imports: Imports, registry: FunctionRegistry): FunctionSignature | undefined {
  const parts = text.split('.');
  if (parts.length === 1) {
    const noImports = imports.wildcards.size === 0 && imports.aliases.size === 0;
    const candidates = registry.withSimpleName(text).filter((s) => s.kind !== 'operator' && (!s.namespace || noImports || imports.wildcards.has(s.namespace)));
    return candidates.length === 1 ? candidates[0] : undefined;
  }
  const aliased = imports.aliases.get(parts[0]!);
  const full = aliased ? [aliased, ...parts.slice(1)].join('.') : text;
  const sig = registry.get(full);
  return sig && sig.kind !== 'operator' ? sig : undefined;
}

/** Types as the editor prints them: records with their fields sorted, so equal types read alike. */
export function typeText(t: Type): string {
  return canonicalType(t);
}

/**
 * `Name(a: T, b: U) -> R`. Parameters keep their declaration order: arguments are positional in
 * constellation-lang, so the order is what the user needs to see (the reference sorts them by name).
 */
export function signatureLine(sig: FunctionSignature, name = sig.name): string {
  const generics = sig.typeParams?.length ? `<${sig.typeParams.join(', ')}>` : '';
  return `${name}${generics}(${sig.params.map((p) => `${p.name}: ${typeText(p.type)}`).join(', ')}) -> ${typeText(sig.returns)}`;
}

function majorMinor(version: string | undefined): string {
  const [major = '1', minor = '0'] = (version ?? '1.0.0').split('.');
  return `${major}.${minor}`;
}

/** Hover of a function: signature, version, description, parameters, result, tags. */
export function functionMarkdown(sig: FunctionSignature, name = sig.name): string {
  const lines = [`### \`${signatureLine(sig, name)}\``, '', `**Version**: ${majorMinor(sig.version)}`];
  if (sig.namespace) lines.push('', `**Namespace**: \`${sig.namespace}\``);
  if (sig.description) lines.push('', sig.description);
  if (sig.params.length > 0) {
    lines.push('', '### Parameters');
    for (const p of sig.params) lines.push(`- **${p.name}**: \`${typeText(p.type)}\``);
  }
  lines.push('', '### Returns', resultLines(sig.returns));
  lines.push('', `**Tags**: ${sig.tags && sig.tags.length > 0 ? sig.tags.join(', ') : 'none'}`);
  return lines.join('\n');
}

function resultLines(t: Type): string {
  if (t.k !== 'Record') return `\`${typeText(t)}\``;
  return t.fields.map(([n, ft]) => `- **${n}**: \`${typeText(ft)}\``).join('\n');
}

/** The shorter documentation shown beside a completion item. */
export function functionCompletionDoc(sig: FunctionSignature): string {
  const lines: string[] = [];
  if (sig.description) lines.push(sig.description);
  if (sig.params.length > 0) {
    lines.push('', '**Parameters**');
    for (const p of sig.params) lines.push(`- \`${p.name}\`: ${typeText(p.type)}`);
  }
  lines.push('', `**Returns**: ${typeText(sig.returns)}`);
  return lines.join('\n').trim();
}
