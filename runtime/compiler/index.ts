export { compile, compileObserved, parseSource, type CompileResult, type CompileOptions, type CompileHashes, type ParseResult } from './compile.js';
export { CompileCache, type CompileCacheStats } from './cache.js';
export { FunctionRegistry, qualifiedName, signatureText, type FunctionSignature } from './registry.js';
export { DAG_FORMAT_VERSION, computeLayers, dependenciesOf, type Dag, type DagNode, type DagInput, type DagOutput, type Gate, type ModuleNode, type TransformNode, type InputNode, type DagSourceMap } from './dag.js';
export { dagSchema, parseDag, typeSchema, irSchema, moduleCallOptionsSchema } from './dag-schema.js';
export type { IrExpr, NodeId, Coercion } from './ir.js';
export type { ModuleCallOptions } from './options.js';
export { structuralHash, syntacticHash, canonicalJson, sha256Hex } from './hash.js';
export { toDot, toMermaid } from './render.js';
