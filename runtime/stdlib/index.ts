import { FunctionRegistry, type FunctionSignature } from '../compiler/registry.js';
import { STDLIB_SIGNATURES } from './signatures.js';

export { STDLIB_SIGNATURES } from './signatures.js';
export { STDLIB_FUNCTIONS, LAMBDA_OVERRIDES, type PureFunction } from './functions.js';

/** A registry holding the standard library plus the given signatures. */
export function standardRegistry(extra: Iterable<FunctionSignature> = []): FunctionRegistry {
  const registry = new FunctionRegistry(STDLIB_SIGNATURES);
  for (const s of extra) registry.register(s);
  return registry;
}
