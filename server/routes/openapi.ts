import { z } from 'zod';
import type { Handler, HttpReply } from '../http/types.js';
import * as schemas from '../schemas.js';

/**
 * `GET /openapi.json`: an OpenAPI 3.1 document generated at start-up from the route table
 * (every registered route declares a `RouteDoc` beside its handler) and the zod schemas of
 * server/schemas.ts (`z.toJSONSchema`, JSON Schema 2020-12 = OpenAPI 3.1's dialect). Every
 * schema exported by schemas.ts becomes `components.schemas.<ExportName>`; nested uses of an
 * exported schema become `$ref`s.
 *
 * Decisions: the document is built once (routes do not change at run time) and served as a
 * pre-serialised string; it is subject to API-key auth like every non-health route; schemas
 * are rendered in "input" mode (no `additionalProperties: false`) since clients must ignore
 * unknown response fields and the server ignores unknown request fields.
 */

export interface ResponseDoc {
  readonly description: string;
  /** JSON body schema; omit for a body not worth a schema. */
  readonly schema?: z.ZodType;
  /** Default `application/json`. */
  readonly contentType?: string;
}

export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  /** JSON request body. */
  readonly body?: { readonly schema: z.ZodType; readonly required: boolean; readonly description?: string };
  /** Descriptions of the `:params` of the path. */
  readonly params?: Readonly<Record<string, string>>;
  /** Optional query parameters: name → description. */
  readonly query?: Readonly<Record<string, string>>;
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Bypasses API-key auth. */
  readonly public?: boolean;
}

export interface RouteSpec {
  readonly method: string;
  /** Router pattern: `/pipelines/:ref`. */
  readonly path: string;
  readonly handler: Handler;
  readonly doc: RouteDoc;
}

/** Common error responses, by their registered codes (runtime/error-codes.ts). */
export const errorDoc = (description: string): ResponseDoc => ({ description, schema: schemas.ErrorResponse });

type Json = Record<string, unknown>;

const SCHEMA_PREFIX = '#/components/schemas/';

function componentSchemas(): { components: Record<string, Json>; names: Map<z.ZodType, string> } {
  const registry = z.registry<{ id: string }>();
  const names = new Map<z.ZodType, string>();
  for (const [name, value] of Object.entries(schemas)) {
    if (value instanceof z.ZodType && !names.has(value)) {
      names.set(value, name);
      registry.add(value, { id: name });
    }
  }
  const out = z.toJSONSchema(registry, { io: 'input', unrepresentable: 'any', uri: (id) => `${SCHEMA_PREFIX}${id}` }) as { schemas: Record<string, Json> };
  const components: Record<string, Json> = {};
  for (const [name, schema] of Object.entries(out.schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema;
    components[name] = rest;
  }
  return { components, names };
}

function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((s) => (s.startsWith(':') ? `by-${s.slice(1)}` : s))
    .join('-')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
  // a trailing slash names a route of its own (`/dashboard/` beside `/dashboard`)
  const slash = path.length > 1 && path.endsWith('/') ? ['Slash'] : [];
  return [method.toLowerCase(), ...words.map((w) => w[0]!.toUpperCase() + w.slice(1)), ...slash].join('');
}

/** Builds the document for a route table. */
export function buildOpenApi(routes: readonly RouteSpec[], info: { title: string; version: string; description?: string }): Json {
  const { components, names } = componentSchemas();
  const schemaRef = (schema: z.ZodType): Json => {
    const name = names.get(schema);
    if (name) return { $ref: `${SCHEMA_PREFIX}${name}` };
    const { $schema: _s, ...inline } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
    return inline;
  };
  const paths: Record<string, Record<string, Json>> = {};
  const tags = new Set<string>();
  for (const route of routes) {
    const openPath = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const params = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
    const doc = route.doc;
    tags.add(doc.tag);
    const responses: Record<string, Json> = {};
    for (const [status, r] of Object.entries(doc.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.schema || r.contentType
          ? { content: { [r.contentType ?? 'application/json']: { schema: r.schema ? schemaRef(r.schema) : { type: 'string' } } } }
          : {}),
      };
    }
    const operation: Json = {
      operationId: operationId(route.method, route.path),
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      tags: [doc.tag],
      ...(params.length > 0 || doc.query
        ? {
            parameters: [
              ...params.map((p) => ({ name: p, in: 'path', required: true, description: doc.params?.[p] ?? p, schema: { type: 'string' } })),
              ...Object.entries(doc.query ?? {}).map(([q, description]) => ({ name: q, in: 'query', required: false, description, schema: { type: 'string' } })),
            ],
          }
        : {}),
      ...(doc.body
        ? {
            requestBody: {
              required: doc.body.required,
              ...(doc.body.description ? { description: doc.body.description } : {}),
              content: { 'application/json': { schema: schemaRef(doc.body.schema) } },
            },
          }
        : {}),
      responses,
      security: doc.public ? [] : [{ apiKey: [] }],
    };
    (paths[openPath] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from CONSTELLATION_API_KEYS (only enforced when keys are configured)' },
      },
    },
  };
}

export const OPENAPI_DOC: RouteDoc = {
  summary: 'This OpenAPI 3.1 document',
  tag: 'meta',
  responses: { 200: { description: 'The document', schema: schemas.OpenApiDocument } },
};

/** The reply serving a built document (serialised once). */
export function openApiReply(document: Json): HttpReply {
  return { status: 200, body: JSON.stringify(document), contentType: 'application/json', raw: true };
}
