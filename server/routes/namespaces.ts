import { formatError } from '../../runtime/errors.js';
import { qualifiedName } from '../../runtime/compiler/registry.js';
import { printType } from '../../runtime/types/type.js';
import type { ServerContext } from '../context.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { NamespaceFunctionsResponse, NamespacesResponse } from '../schemas.js';
import { errorDoc, type RouteSpec } from './openapi.js';
import { errorReply } from './reply.js';

/**
 * Namespace routes: `GET /namespaces`, `GET /namespaces/{namespace}`.
 * Types use the language spelling (`Int`, `List<String>`, `{ a: Int }`), not the `CInt`-style type strings.
 *
 * Decisions: functions are listed sorted by qualified name; built-in operators (registered but
 * not callable by name) are left out; higher-order functions (`filter`, `map`, …) are listed
 * with their type variables (`List<T>`, `(T) => Boolean`).
 */

export function namespaceRoutes(context: ServerContext): RouteSpec[] {
  const list = (): HttpReply => json(200, { namespaces: context.engine.functions.namespaces() });

  const get = (req: HttpRequest): HttpReply => {
    const ns = req.params['namespace']!;
    const functions = [...context.engine.functions.all()]
      .filter((s) => s.kind !== 'operator' && s.namespace !== undefined && (s.namespace === ns || s.namespace.startsWith(ns + '.')))
      .map((s) => ({
        name: s.name,
        qualifiedName: qualifiedName(s),
        params: s.params.map((p) => `${p.name}: ${printType(p.type)}`),
        returns: printType(s.returns),
      }))
      .sort((a, b) => (a.qualifiedName < b.qualifiedName ? -1 : a.qualifiedName > b.qualifiedName ? 1 : 0));
    if (functions.length === 0) return errorReply('NamespaceNotFound', formatError('NamespaceNotFound', { namespace: ns }));
    return json(200, { namespace: ns, functions });
  };

  return [
    {
      method: 'GET',
      path: '/namespaces',
      handler: list,
      doc: { summary: 'Function namespaces, sorted', tag: 'namespaces', responses: { 200: { description: 'Namespaces', schema: NamespacesResponse } } },
    },
    {
      method: 'GET',
      path: '/namespaces/:namespace',
      handler: get,
      doc: {
        summary: 'Functions in a namespace (and its sub-namespaces)',
        tag: 'namespaces',
        params: { namespace: 'Namespace, e.g. stdlib.math' },
        responses: { 200: { description: 'Functions', schema: NamespaceFunctionsResponse }, 404: errorDoc('NamespaceNotFound') },
      },
    },
  ];
}
