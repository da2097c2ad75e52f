import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * The Module Provider Protocol's gRPC definitions, loaded at run time from `provider.proto`
 * (kept beside this file in the repository, package `constellation.provider.v1`) with
 * `@grpc/proto-loader`. Both sides use it: the engine's provider port and the provider kit.
 *
 * Loader options: camelCase field names; int64 as JS numbers (epoch milliseconds fit); enums as
 * numbers; no defaults filled in, so an absent message field is `undefined` (an empty
 * `PrimitiveType` — how proto3 encodes STRING — has no `kind`); repeated fields and maps always
 * present; `payload` / `result` / `type` name the oneof member that is set.
 */

export const PROTOCOL_VERSION = 1;

export interface PrimitiveTypeMsg { kind?: number }
export interface TypeSchemaMsg {
  type?: 'primitive' | 'record' | 'list' | 'map' | 'union' | 'option';
  primitive?: PrimitiveTypeMsg | null;
  record?: { fields?: Record<string, TypeSchemaMsg> } | null;
  list?: { elementType?: TypeSchemaMsg | null } | null;
  map?: { keyType?: TypeSchemaMsg | null; valueType?: TypeSchemaMsg | null } | null;
  union?: { variants?: TypeSchemaMsg[] } | null;
  option?: { innerType?: TypeSchemaMsg | null } | null;
}

export interface ModuleDeclarationMsg {
  name?: string;
  inputSchema?: TypeSchemaMsg | null;
  outputSchema?: TypeSchemaMsg | null;
  version?: string;
  description?: string;
}

export interface RegisterRequestMsg {
  namespace?: string;
  modules?: ModuleDeclarationMsg[];
  protocolVersion?: number;
  executorUrl?: string;
  groupId?: string;
}

export interface ModuleRegistrationResultMsg {
  moduleName: string;
  accepted: boolean;
  rejectionReason: string;
}

export interface RegisterResponseMsg {
  success: boolean;
  results: ModuleRegistrationResultMsg[];
  protocolVersion: number;
  connectionId: string;
}

export interface DeregisterRequestMsg {
  namespace?: string;
  moduleNames?: string[];
  connectionId?: string;
}

export interface ModuleDeregistrationResultMsg {
  moduleName: string;
  removed: boolean;
  error: string;
}

export interface DeregisterResponseMsg {
  success: boolean;
  results: ModuleDeregistrationResultMsg[];
}

export interface ControlMessageMsg {
  protocolVersion?: number;
  connectionId?: string;
  payload?: 'heartbeat' | 'heartbeatAck' | 'activeModulesReport' | 'drainRequest' | 'drainAck';
  heartbeat?: { namespace?: string; timestamp?: number } | null;
  heartbeatAck?: { timestamp?: number } | null;
  activeModulesReport?: { activeModules?: string[] } | null;
  drainRequest?: { reason?: string; deadlineMs?: number } | null;
  drainAck?: { accepted?: boolean; inFlightCount?: number } | null;
}

export interface ExecuteRequestMsg {
  moduleName?: string;
  inputData?: Buffer;
  executionId?: string;
  metadata?: Record<string, string>;
}

export interface ExecutionErrorMsg {
  code?: string;
  message?: string;
  stackTrace?: string;
}

export interface ExecuteResponseMsg {
  result?: 'outputData' | 'error';
  outputData?: Buffer | Uint8Array;
  error?: ExecutionErrorMsg | null;
  metrics?: { durationMs?: number; memoryBytes?: number } | null;
}

/** `provider.proto`: beside the compiled file's source, found from dist/ or from the sources. */
export function protoPath(): string {
  const candidates = [
    new URL('./provider.proto', import.meta.url), // running from the sources' folder
    new URL('../../../server/provider/provider.proto', import.meta.url), // running from dist/server/provider/
  ].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`provider.proto not found (looked in ${candidates.join(', ')})`);
  return found;
}

export interface ProtocolServices {
  readonly ModuleProvider: grpc.ServiceClientConstructor;
  readonly ModuleExecutor: grpc.ServiceClientConstructor;
}

let loaded: ProtocolServices | undefined;

/** The two services, loaded once per process. */
export function services(): ProtocolServices {
  if (!loaded) {
    const definition = protoLoader.loadSync(protoPath(), {
      keepCase: false,
      longs: Number,
      enums: Number,
      defaults: false,
      arrays: true,
      objects: true,
      oneofs: true,
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { constellation: { provider: { v1: ProtocolServices } } };
    loaded = pkg.constellation.provider.v1;
  }
  return loaded;
}
