import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { ProviderConnection, type DeclaredModule } from './connection.js';
import type { ProviderDirectory } from './directory.js';
import { groupMismatch, NamespaceClaim } from './groups.js';
import { isReserved, moduleNameProblem, namespaceProblem, parseExecutorUrl } from './namespaces.js';
import { PROTOCOL_VERSION, type DeregisterResponseMsg, type ModuleRegistrationResultMsg, type RegisterResponseMsg } from './proto.js';
import { shapeOf } from './provider-module.js';
import { decodeTypeSchema, SchemaError } from './type-schema.js';

/**
 * `Register` and `Deregister`.
 *
 * A request that cannot be understood is refused as a whole with gRPC status INVALID_ARGUMENT
 * and a message naming what is wrong (fields too long or of the wrong kind, an executor address
 * that is not host:port, a namespace or module name that cannot be written in
 * constellation-lang, no modules, a name declared twice, a schema that does not convert — with
 * the path inside the schema). A request that is understood is answered with a RegisterResponse
 * carrying one result per module; when a module is refused (reserved namespace, namespace owned
 * by another provider or group, a name that already exists, a group member whose schemas differ
 * from the group's), nothing is registered — registration is all-or-nothing, so a provider that
 * is told "no" owns nothing and may simply retry (the reference keeps the accepted half, and
 * the orphan owns the namespace for 30 s).
 *
 * Two extensions travel as call metadata (reference SDKs never send them):
 * - `constellation-connection-id: <id>` of a live connection in the same namespace: replace that
 *   connection's modules in place (same connection id, same executor, one atomic swap);
 * - `constellation-replace: true` with the group id of the namespace's group: the group's schemas
 *   become the ones declared (members that have not re-registered keep serving meanwhile).
 * And `constellation-executor-tls: true` says the executor serves TLS.
 */

const MAX_NAME = 128;

const declaration = z.object({
  name: z.string().max(MAX_NAME, `longer than ${MAX_NAME} characters`).default(''),
  inputSchema: z.unknown().optional(),
  outputSchema: z.unknown().optional(),
  version: z.string().max(64, 'longer than 64 characters').default(''),
  description: z.string().max(4096, 'longer than 4096 characters').default(''),
});

const registerRequest = z.object({
  namespace: z.string().max(256, 'longer than 256 characters').default(''),
  modules: z.array(declaration).default([]),
  protocolVersion: z.number().int().default(0),
  executorUrl: z.string().max(512, 'longer than 512 characters').default(''),
  groupId: z.string().max(256, 'longer than 256 characters').default(''),
});

const deregisterRequest = z.object({
  namespace: z.string().max(256).default(''),
  moduleNames: z.array(z.string().max(MAX_NAME)).default([]),
  connectionId: z.string().max(128).default(''),
});

/** A request refused as a whole: a gRPC status and its message. */
export class RegistrationError extends Error {
  constructor(readonly code: grpc.status, message: string, readonly reason: string) {
    super(message);
    this.name = 'RegistrationError';
  }
}

function invalid(message: string): RegistrationError {
  return new RegistrationError(grpc.status.INVALID_ARGUMENT, message, 'invalid');
}

function zodMessage(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'request'}: ${i.message}`)
    .join('; ');
}

function header(metadata: grpc.Metadata, name: string): string | undefined {
  const v = metadata.get(name)[0];
  return v === undefined ? undefined : String(v);
}

interface Refusal {
  readonly reason: string;
  readonly metric: string;
}

export function register(directory: ProviderDirectory, body: unknown, metadata: grpc.Metadata): RegisterResponseMsg {
  const { config, engine } = directory;
  const parsed = registerRequest.safeParse(body);
  if (!parsed.success) throw invalid(`malformed RegisterRequest: ${zodMessage(parsed.error)}`);
  const request = parsed.data;
  const address = parseExecutorUrl(request.executorUrl);
  if (typeof address === 'string') throw invalid(address);
  const nsProblem = namespaceProblem(request.namespace);
  if (nsProblem) throw invalid(nsProblem);
  if (request.modules.length === 0) throw invalid(`RegisterRequest for namespace '${request.namespace}' declares no modules`);
  if (request.modules.length > config.maxModulesPerRegistration) throw invalid(`RegisterRequest declares ${request.modules.length} modules; at most ${config.maxModulesPerRegistration} per registration`);

  // every declaration must be understood before anything is decided
  const declared = new Map<string, DeclaredModule>();
  const problems: string[] = [];
  for (const [i, m] of request.modules.entries()) {
    const label = m.name ? `module '${m.name}'` : `module #${i + 1}`;
    const nameProblem = moduleNameProblem(m.name);
    if (nameProblem) {
      problems.push(`${label}: ${nameProblem}`);
      continue;
    }
    if (declared.has(m.name)) {
      problems.push(`${label}: declared twice`);
      continue;
    }
    try {
      if (m.inputSchema === undefined || m.inputSchema === null) throw new SchemaError('input', 'input_schema is missing');
      if (m.outputSchema === undefined || m.outputSchema === null) throw new SchemaError('output', 'output_schema is missing');
      const input = decodeTypeSchema(m.inputSchema as never, 'input', config.maxSchemaDepth);
      const output = decodeTypeSchema(m.outputSchema as never, 'output', config.maxSchemaDepth);
      declared.set(m.name, { name: m.name, input, output, version: m.version || '1.0.0', description: m.description, shape: shapeOf(input, output) });
    } catch (e) {
      if (!(e instanceof SchemaError)) throw e;
      problems.push(`${label}: schema does not convert at ${e.message}`);
    }
  }
  if (problems.length > 0) throw invalid(problems.slice(0, 10).join('; ') + (problems.length > 10 ? ` (and ${problems.length - 10} more)` : ''));

  const namespace = request.namespace;
  const groupId = request.groupId;
  const claim = directory.claims.get(namespace);
  const replaceId = header(metadata, 'constellation-connection-id');
  const replaceGroup = header(metadata, 'constellation-replace')?.toLowerCase() === 'true';
  const executorTls = header(metadata, 'constellation-executor-tls')?.toLowerCase() === 'true';

  // the connection replaced in place, if the provider asks for one
  let existing: ProviderConnection | undefined;
  if (replaceId !== undefined) {
    existing = directory.connections.get(replaceId);
    if (!existing) throw new RegistrationError(grpc.status.NOT_FOUND, `constellation-connection-id '${replaceId}' names no live connection (register without it to start a new one)`, 'unknown_connection');
    if (existing.namespace !== namespace) throw invalid(`connection '${replaceId}' serves namespace '${existing.namespace}', not '${namespace}'`);
    if (existing.groupId !== groupId) throw invalid(`connection '${replaceId}' is ${existing.groupId ? `in group '${existing.groupId}'` : 'solo'}; an in-place replace keeps it so`);
    if (existing.executorUrl !== request.executorUrl.trim()) throw invalid(`an in-place replace keeps the executor address ('${existing.executorUrl}'); register a new connection to move it`);
  }

  const refusal = ((): Refusal | undefined => {
    if (isReserved(namespace, config.reservedNamespaces)) return { reason: `Namespace '${namespace}' is reserved`, metric: 'reserved' };
    if (!claim) {
      for (const name of declared.keys()) {
        if (engine.functions.get(`${namespace}.${name}`) || engine.modules.get(`${namespace}.${name}`)?.id === `${namespace}.${name}`) {
          return { reason: `Module '${namespace}.${name}' already exists`, metric: 'already_exists' };
        }
      }
      return undefined;
    }
    const member = existing !== undefined && claim.members.includes(existing);
    if (!member) {
      if (!claim.isGroup || groupId === '') return { reason: `Namespace '${namespace}' is owned by another provider`, metric: 'owned_by_other' };
      if (claim.groupId !== groupId) return { reason: `Namespace '${namespace}' is owned by a different provider group`, metric: 'owned_by_other_group' };
    }
    if (claim.isGroup && !replaceGroup) {
      const alone = member && claim.members.length === 1;
      const mismatch = alone ? undefined : groupMismatch(claim.modules, declared);
      if (mismatch) return { reason: `schema mismatch with group '${groupId}': ${mismatch} (send constellation-replace: true to change the group's schemas)`, metric: 'schema_mismatch' };
    }
    return undefined;
  })();

  if (refusal) {
    directory.metrics.onRegistration('rejected', refusal.metric);
    directory.log.info({ namespace, groupId, executorUrl: request.executorUrl, reason: refusal.reason }, 'provider registration refused');
    return {
      success: false,
      results: [...declared.keys()].map((name): ModuleRegistrationResultMsg => ({ moduleName: name, accepted: false, rejectionReason: refusal.reason })),
      protocolVersion: PROTOCOL_VERSION,
      connectionId: '',
    };
  }

  const protocolVersion = Math.min(request.protocolVersion > 0 ? request.protocolVersion : PROTOCOL_VERSION, PROTOCOL_VERSION);
  const conn = existing ?? new ProviderConnection(randomUUID(), namespace, request.executorUrl.trim(), address.target, groupId, protocolVersion, declared, executorTls);
  conn.modules = declared;
  const target = claim ?? new NamespaceClaim(namespace, groupId);
  directory.claims.set(namespace, target);
  target.add(conn);
  directory.connections.set(conn.id, conn);
  // a new claim, a solo replace, a group's only member or an explicit group replace: these schemas become the namespace's
  const defines = !claim || !claim.isGroup || replaceGroup || claim.members.length === 1;
  directory.install(target, defines ? declared : mergedGroupModules(target));
  directory.metrics.onRegistration('accepted');
  directory.log.info({ connectionId: conn.id, namespace, groupId, executorUrl: conn.executorUrl, modules: [...declared.keys()], replaced: existing !== undefined }, 'provider registered');
  return {
    success: true,
    results: [...declared.keys()].map((name) => ({ moduleName: name, accepted: true, rejectionReason: '' })),
    protocolVersion: PROTOCOL_VERSION,
    connectionId: conn.id,
  };
}

/** A group's modules: what its live members offer (the group's declarations stand for each name). */
function mergedGroupModules(claim: NamespaceClaim): Map<string, DeclaredModule> {
  const out = new Map(claim.modules);
  for (const m of claim.members) for (const [name, decl] of m.modules) if (!out.has(name)) out.set(name, decl);
  return out;
}

export function deregister(directory: ProviderDirectory, body: unknown): DeregisterResponseMsg {
  const parsed = deregisterRequest.safeParse(body);
  if (!parsed.success) throw invalid(`malformed DeregisterRequest: ${zodMessage(parsed.error)}`);
  const request = parsed.data;
  const answer = (removed: (name: string) => string | true): DeregisterResponseMsg => {
    const results = request.moduleNames.map((name) => {
      const r = removed(name);
      return { moduleName: name, removed: r === true, error: r === true ? '' : r };
    });
    return { success: results.every((r) => r.removed), results };
  };

  let conn: ProviderConnection | undefined;
  if (request.connectionId) {
    conn = directory.connections.get(request.connectionId);
    if (!conn) {
      // the control stream closed first (the reference SDK's order): its modules are already gone
      const closed = directory.recentlyClosed.get(request.connectionId);
      if (!closed) return answer(() => `not found: no connection '${request.connectionId}'`);
      if (request.namespace && request.namespace !== closed.namespace) return answer(() => 'wrong namespace owner');
      return answer((name) => (closed.modules.includes(name) ? true : 'not found'));
    }
  } else {
    // no connection id (older providers): the namespace's owner, when there is exactly one
    const claim = directory.claims.get(request.namespace);
    if (!claim) return answer(() => 'not found');
    if (claim.isGroup) return answer(() => 'connection_id is required to leave a group namespace');
    conn = claim.members[0];
    if (!conn) return answer(() => 'not found');
  }
  if (request.namespace && request.namespace !== conn.namespace) return answer(() => 'wrong namespace owner');
  const target = conn;
  const names = request.moduleNames.length > 0 ? request.moduleNames : [...target.modules.keys()];
  const results = names.map((name) => {
    if (!target.modules.has(name)) return { moduleName: name, removed: false, error: 'not found' };
    directory.dropModule(target, name);
    return { moduleName: name, removed: true, error: '' };
  });
  if (target.modules.size === 0) directory.withdraw(target, { reason: 'deregistered', failInFlight: false });
  directory.log.info({ connectionId: target.id, namespace: target.namespace, removed: results.filter((r) => r.removed).map((r) => r.moduleName) }, 'provider deregistered modules');
  return { success: results.every((r) => r.removed), results };
}
