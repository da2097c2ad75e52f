import { exampleModules } from '../../examples/modules/index.js';
import { FunctionRegistry, type FunctionSignature } from '../../runtime/compiler/registry.js';
import { signatureOf } from '../../runtime/modules/define.js';
import { STDLIB_SIGNATURES, standardRegistry } from '../../runtime/stdlib/index.js';
import { T, type Type } from '../../runtime/types/type.js';

/** The registry the conformance corpus compiles against: the standard library plus the example pack. */
export function exampleRegistry(): FunctionRegistry {
  return standardRegistry(exampleModules.map(signatureOf));
}

/** The signatures of the example module pack. */
export function exampleSignatures(): FunctionSignature[] {
  return exampleModules.map(signatureOf);
}

/** A host-module signature for tests (`kind: 'module'`, output field `out`). */
export function moduleSignature(
  qualified: string,
  params: readonly (readonly [string, Type])[],
  returns: Type,
  extra: Partial<FunctionSignature> = {},
): FunctionSignature {
  const dot = qualified.lastIndexOf('.');
  const name = dot < 0 ? qualified : qualified.slice(dot + 1);
  const namespace = dot < 0 ? undefined : qualified.slice(0, dot);
  return {
    name,
    ...(namespace ? { namespace } : {}),
    params: params.map(([n, t]) => ({ name: n, type: t })),
    returns,
    outputField: 'out',
    module: qualified,
    kind: 'module',
    ...extra,
  };
}

/**
 * Standard library plus two namespaces that share the simple name `score` (`acme.text.score`,
 * `acme.nums.score`) and a namespace-less `Shout`: the registry E005 needs.
 */
export function ambiguousRegistry(): FunctionRegistry {
  return new FunctionRegistry([
    ...STDLIB_SIGNATURES,
    moduleSignature('acme.text.score', [['text', T.String]], T.Int),
    moduleSignature('acme.nums.score', [['value', T.Int]], T.Int),
    moduleSignature('Shout', [['text', T.String]], T.String),
  ]);
}
