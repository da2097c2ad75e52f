import { Model } from '@kubernetes-models/base';

/**
 * Offline validation of Kubernetes manifests with the schemas of `kubernetes-models` (the
 * Kubernetes OpenAPI definitions, compiled): types, formats, required fields, enums. Those
 * schemas accept unknown fields (the API server would drop them, or refuse them when validating
 * strictly), so a misspelt field — `initialDelaySecond` — would pass unnoticed. The validators
 * read every field their schema knows; reading the manifest through a proxy that records the
 * reads shows the fields no schema knows.
 */

export interface ManifestProblem {
  /** `Deployment/constellation-engine`, or the document's position when it has no kind. */
  readonly object: string;
  readonly message: string;
}

type ModelClass = { prototype: { validate(): void } } & (new (data?: unknown) => Model<unknown>);

/** The model class of an `apiVersion` and `kind` (`apps/v1`, `Deployment`), or undefined. */
async function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  if (!/^[a-z0-9.]+\/v[0-9a-z]+$|^v1$/.test(apiVersion) || !/^[A-Z][A-Za-z]+$/.test(kind)) return undefined;
  try {
    const module = (await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<string, unknown>;
    return module[kind] as ModelClass | undefined;
  } catch {
    return undefined;
  }
}

/** Wraps `value` so that every property read is recorded (by JSON-pointer-like path). */
function recordReads(value: unknown, path: string, read: Set<string>, objects: Map<string, object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  objects.set(path, value);
  return new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown;
      if (typeof key !== 'string' || !Object.prototype.hasOwnProperty.call(target, key)) return v;
      const child = `${path}/${key}`;
      read.add(child);
      return recordReads(v, child, read, objects);
    },
  });
}

/** Every problem of one manifest document: schema violations and fields no schema knows. */
export async function validateManifest(doc: unknown, position = 'document'): Promise<ManifestProblem[]> {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return [{ object: position, message: 'not an object' }];
  const { apiVersion, kind, metadata } = doc as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
  const object = `${String(kind)}/${String(metadata?.name ?? position)}`;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [{ object, message: 'apiVersion and kind are required' }];
  const model = await modelFor(apiVersion, kind);
  if (!model) return [{ object, message: `${apiVersion} ${kind} is not a Kubernetes API type` }];
  const read = new Set<string>();
  const objects = new Map<string, object>();
  const problems: ManifestProblem[] = [];
  try {
    model.prototype.validate.call(recordReads(doc, '', read, objects));
  } catch (e) {
    problems.push({ object, message: e instanceof Error ? e.message : String(e) });
  }
  for (const [path, value] of objects) {
    if (Array.isArray(value)) continue;
    for (const key of Object.keys(value)) {
      if (!read.has(`${path}/${key}`)) problems.push({ object, message: `unknown field ${path}/${key}` });
    }
  }
  return problems;
}
