import { z } from 'zod';

/**
 * The params of every method the server handles, checked at the edge. Unknown members are
 * allowed (clients send more than we read); what we read must have the right shape.
 */

const uri = z.string().min(1).max(8192);
const position = z.object({ line: z.number().int().min(0), character: z.number().int().min(0) });
const range = z.object({ start: position, end: position });
const textDocument = z.object({ uri });

export const TextDocumentPositionParams = z.object({ textDocument, position });
export const TextDocumentParams = z.object({ textDocument });
export const RangeParams = z.object({ textDocument, range });
export const ReferenceParams = TextDocumentPositionParams.extend({ context: z.object({ includeDeclaration: z.boolean() }).optional() });
export const RenameParams = TextDocumentPositionParams.extend({ newName: z.string().max(1000) });
export const DeltaParams = z.object({ textDocument, previousResultId: z.string() });
export const CodeActionParams = z.object({ textDocument, range });

export const DidOpenParams = z.object({ textDocument: z.object({ uri, languageId: z.string().max(200).default('constellation'), version: z.number().int(), text: z.string() }) });
export const DidChangeParams = z.object({
  textDocument: z.object({ uri, version: z.number().int().nullable().optional() }),
  contentChanges: z.array(z.union([z.object({ range, rangeLength: z.number().optional(), text: z.string() }), z.object({ text: z.string() })])),
});
export const DidCloseParams = z.object({ textDocument });
export const DidSaveParams = z.object({ textDocument, text: z.string().optional() });
export const InitializeParams = z.object({ processId: z.number().int().nullable().optional() }).passthrough();

const inputs = z.record(z.string(), z.unknown()).default({});
export const UriParams = z.object({ uri });
export const RunParams = z.object({ uri, inputs });
export const VisualizationParams = z.object({ uri, direction: z.enum(['TB', 'LR']).default('TB'), executionId: z.string().max(200).optional() });
export const SessionParams = z.object({ sessionId: z.string().max(200) });
