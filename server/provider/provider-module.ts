import type { FunctionSignature } from '../../runtime/compiler/registry.js';
import type { RemoteModule } from '../../runtime/engine/module-registry.js';
import type { DeclaredModule } from './connection.js';
import type { NamespaceClaim } from './groups.js';
import type { ProviderInvoker } from './invoker.js';
import { product, toEngineType, wireText, type WireProduct, type WireType } from './type-schema.js';

/**
 * A provider's module as the engine sees it: a signature the compiler checks calls against, and
 * a `call` that goes to one of the namespace's executors.
 *
 * Parameters: a record input's fields, sorted by name (the wire form of a record is a proto map,
 * which has no order: docs/decisions.md #25); any other input is one parameter named `input`, sent wrapped as
 * `{ "input": … }` — the input sent is always a record. The call evaluates to the declared
 * output: a record output as the whole record (field access projects it), anything else as the
 * module's one output, named `output`.
 */

/** The record the provider receives: the declared input record, or `{ input }`. */
export function inputRecord(input: WireType): WireProduct {
  return input.tag === 'CProduct' ? input : product([['input', input]]);
}

export function signatureOf(namespace: string, decl: DeclaredModule): FunctionSignature {
  const params = inputRecord(decl.input).fields.map(([name, t]) => ({ name, type: toEngineType(t) }));
  return {
    name: decl.name,
    namespace,
    params,
    returns: toEngineType(decl.output),
    outputField: decl.output.tag === 'CProduct' ? '*' : 'output',
    module: `${namespace}.${decl.name}`,
    kind: 'module',
    version: decl.version,
    description: decl.description,
  };
}

/** The canonical text of a declaration's schemas (equal texts: interchangeable modules). */
export function shapeOf(input: WireType, output: WireType): string {
  return `${wireText(input)} -> ${wireText(output)}`;
}

export function remoteModule(claim: NamespaceClaim, decl: DeclaredModule, invoker: ProviderInvoker, callTimeoutMs: number): RemoteModule {
  const id = `${claim.namespace}.${decl.name}`;
  const input = inputRecord(decl.input);
  return {
    id,
    version: decl.version,
    signature: signatureOf(claim.namespace, decl),
    timeoutMs: callTimeoutMs,
    call: (args, call, token) => invoker.call({ id, claim, decl, input }, args, call, token),
  };
}
