import type { Diagnostic as LspDiagnostic, DiagnosticRelatedInformation } from 'vscode-languageserver-types';
import type { Diagnostic } from '../../runtime/language/diagnostics.js';
import type { DiagnosticCode } from '../../runtime/errors.js';
import type { Analysis } from './analysis.js';
import { expressionPathAt } from './ast-walk.js';
import { typeText } from './functions.js';

/**
 * The compiler's diagnostics as the editor shows them: every error and warning with its code and
 * exact range; the message carries the code's explanation and the compiler's suggestions; a
 * problem about a name points at where that name is declared (related information).
 */

export const DIAGNOSTIC_SOURCE = 'constellation-lang';

const SEVERITY_ERROR = 1;
const SEVERITY_WARNING = 2;

/** What each code means, in a sentence the user can act on. */
const EXPLANATIONS: Readonly<Record<DiagnosticCode, string>> = {
  E001: 'The name is not declared before this point. Declare it as an input (in name: Type) or assign it (name = expression) above its first use.',
  E002: 'No function or module with this name is available. Check the spelling, the module registry, and the use lines that import namespaces.',
  E003: 'The type is neither a built-in type nor declared with a type definition above this point.',
  E004: 'No registered function lives in this namespace.',
  E005: 'Several imported namespaces have a function with this name; call it by its qualified name.',
  E006: 'A projection can only select fields the record has.',
  E007: 'The record has no field with this name.',
  E010: 'The value does not have the type this place requires.',
  E011: 'The operator is not defined for these operand types.',
  E012: 'Only records, and lists of records, can be merged with +.',
  E013: 'The comparison is not defined for these types.',
  E014: 'Arithmetic works on Int and Float values only.',
  E015: 'The expression is not valid here.',
  E016: 'The option value is outside what the option accepts.',
  E017: 'The fallback must have the type the module returns.',
  E020: 'The text does not follow the grammar of constellation-lang.',
  E021: 'The parser did not expect this token here.',
  E030: 'A name may be declared only once.',
  E031: 'Declarations depend on each other in a cycle.',
  E900: 'The compiler failed on this input; please report it with the program text.',
  W001: "'delay' only spaces retries: it has no effect without 'retry'.",
  W002: "'backoff' grows the delay between retries: it has no effect without 'delay'.",
  W003: "'backoff' only applies to retries: it has no effect without 'retry'.",
  W004: "'cache_backend' selects where cached results go: it has no effect without 'cache'.",
  W005: "'batch_timeout' bounds a batch: it has no effect without 'batch'.",
  W006: 'More than 10 retries rarely helps and multiplies the load on a failing service.',
  W007: "'window' and 'batch' both group stream elements; only one of them applies.",
  W008: "'on_error: wrap' is not supported for this call and behaves as 'propagate'.",
  W009: 'The option is ignored for this kind of call.',
};

/**
 * The reference's editor codes for option warnings (`OPTS001`: an option without the option it
 * needs; `OPTS003`: a high retry count). Clients written for it match on these; our own code is
 * kept in the diagnostic's `data`.
 */
const EDITOR_CODES: Partial<Record<DiagnosticCode, string>> = {
  W001: 'OPTS001', W002: 'OPTS001', W003: 'OPTS001', W004: 'OPTS001', W005: 'OPTS001', W006: 'OPTS003',
};

export function diagnosticsFor(analysis: Analysis, uri: string): LspDiagnostic[] {
  return analysis.diagnostics.map((d) => toLsp(d, analysis, uri));
}

function toLsp(d: Diagnostic, analysis: Analysis, uri: string): LspDiagnostic {
  const parts = [d.message];
  const explanation = EXPLANATIONS[d.code];
  if (explanation) parts.push(explanation);
  if (d.suggestions && d.suggestions.length > 0) parts.push(d.suggestions.join('\n'));
  const related = relatedTo(d, analysis, uri);
  return {
    range: analysis.positions.rangeOf(d.span),
    severity: d.severity === 'error' ? SEVERITY_ERROR : SEVERITY_WARNING,
    code: EDITOR_CODES[d.code] ?? d.code,
    source: DIAGNOSTIC_SOURCE,
    message: parts.join('\n\n'),
    ...(related.length > 0 ? { relatedInformation: related } : {}),
    data: { code: d.code, ...(d.suggestions ? { suggestions: d.suggestions } : {}) },
  };
}

/**
 * Where the names involved in a problem are declared: the variable the faulty expression reads
 * (or whose field it accesses), and for a duplicate the first declaration.
 */
function relatedTo(d: Diagnostic, analysis: Analysis, uri: string): DiagnosticRelatedInformation[] {
  const out: DiagnosticRelatedInformation[] = [];
  const seen = new Set<string>();
  const add = (name: string, span: { start: number; end: number }, message: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    out.push({ location: { uri, range: analysis.positions.rangeOf(span) }, message });
  };
  const symbols = analysis.symbols;
  if (d.code === 'E030') {
    const here = symbols.occurrenceAt(d.span.start);
    const first = here && symbols.declarations.find((x) => x.name === here.symbol.name && x.kind === here.symbol.kind);
    if (first && first.span.start !== d.span.start) add(first.name, first.span, `'${first.name}' is first declared here`);
    return out;
  }
  if (d.severity !== 'error') return out;
  // the variable read by the innermost expression at the problem, or by the source of a field access
  const path = expressionPathAt(analysis.program, d.span.start);
  for (let i = path.length - 1; i >= 0 && out.length < 2; i--) {
    let e = path[i]!;
    while (e.kind === 'field' || e.kind === 'project') e = e.source;
    if (e.kind !== 'var') continue;
    const v = e;
    const o = symbols.occurrenceAt(v.span.start);
    if (o && !o.isDeclaration) add(o.symbol.name, o.symbol.span, `'${o.symbol.name}' is declared here as ${typeText(o.symbol.type)}`);
  }
  return out;
}
