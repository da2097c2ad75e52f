/**
 * The language service: pure functions from a document's analysis (runtime/compiler with a
 * checker observer) to editor answers. One provider per feature; positions are converted in
 * positions.ts only. The LSP wiring lives in server/lsp/.
 */
export { analyze, type Analysis } from './analysis.js';
export { DocumentPositions } from './positions.js';
export { diagnosticsFor, DIAGNOSTIC_SOURCE } from './diagnostics.js';
export { completionsAt } from './completion.js';
export { hoverAt } from './hover.js';
export { SEMANTIC_TOKENS_LEGEND, encodeTokens, fullTokens, semanticTokensOf, tokensEdits } from './semantic-tokens.js';
export { definitionAt, referencesAt, highlightsAt, prepareRenameAt, renameAt, documentSymbols, RenameRefused } from './navigation.js';
export { codeActionsFor } from './code-actions.js';
export { signatureHelpAt, SIGNATURE_TRIGGERS } from './signature-help.js';
export { inputSchemaOf, describeType, type InputSchemaResult, type TypeDescriptor } from './input-schema.js';
export { errorInfoOf, runtimeErrorInfo, codeContext, type ErrorInfo } from './error-info.js';
export { dagStructureOf, type DagStructure } from './dag-structure.js';
