import { createHash, randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { RemoteCallContext } from '../../runtime/engine/module-registry.js';
import type { CancelToken } from '../../runtime/engine/spi.js';
import { ConstellationError } from '../../runtime/errors.js';
import { setField, type Value } from '../../runtime/values/value.js';
import type { Logger } from '../logger.js';
import type { DeclaredModule, InFlightCall, ProviderConnection } from './connection.js';
import type { ExecutorChannels } from './executor-channels.js';
import type { NamespaceClaim } from './groups.js';
import type { ProviderMetrics } from './metrics.js';
import type { ExecuteResponseMsg } from './proto.js';
import type { WireProduct } from './type-schema.js';
import { valueBytes, valueFromBytes, WireValueError } from './wire-values.js';

/**
 * Calls provider executors (`ModuleExecutor.Execute`) for the engine's node actor, which has
 * already applied the call's options (cache, breaker, throttle, concurrency, priority) and will
 * apply retry, fallback and on_error to what this returns. Runs on the coordinator's event loop
 * with grpc-js's asynchronous client; never on a worker thread.
 *
 * Per call:
 * - the executor is the next member of the namespace's pool (round-robin; draining and
 *   disconnected members are skipped, so a retry goes to another member);
 * - the gRPC deadline is the attempt's: its `timeout` option, else the provider call timeout
 *   (3 s by default), cut to what is left of the execution's own time limit;
 * - `execution_id` is the real execution id; `metadata` carries `constellation-node-id`,
 *   `constellation-structural-hash`, `constellation-attempt` and a W3C `traceparent` whose
 *   trace id is derived from the execution id;
 * - a call whose provider disconnects, misses its heartbeats or is force-closed fails at once
 *   (the directory fails its in-flight calls) instead of waiting for the deadline.
 *
 * Outcomes (node error codes): provider `RUNTIME_ERROR` → ModuleFailed (retryable);
 * `TIMEOUT` or `DEADLINE_EXCEEDED` → ModuleTimeout (retryable; the node is `timed_out`);
 * `TYPE_ERROR` → InvalidModuleInput and `MODULE_NOT_FOUND` → ModuleNotFound (not retried: another
 * attempt cannot change them); transport failures → ProviderUnavailable (retryable); an answer
 * that does not match the declared output type → InvalidModuleOutput (not retried); an answer
 * with neither output nor error → ModuleFailed.
 */

export interface ProviderCallTarget {
  readonly id: string;
  readonly claim: NamespaceClaim;
  readonly decl: DeclaredModule;
  /** The input record the provider receives. */
  readonly input: WireProduct;
}

const permanent = { retryable: false };

export class ProviderInvoker {
  constructor(
    private readonly channels: ExecutorChannels,
    private readonly metrics: ProviderMetrics,
    private readonly log: Logger,
    /** Sent to executors as `authorization: Bearer …` when set, so providers can tell the engine from anyone else. */
    private readonly token: string | null,
  ) {}

  call(target: ProviderCallTarget, args: readonly Value[], call: RemoteCallContext, token: CancelToken): Promise<Value> {
    const member = target.claim.pick(target.decl.name);
    if (!member) {
      this.metrics.onCall(target.id, 'unavailable', undefined, undefined);
      return Promise.reject(new ConstellationError('ProviderUnavailable', `No provider can take calls of '${target.id}' now (every executor of namespace '${target.claim.namespace}' is draining or gone)`));
    }
    const record: Record<string, Value> = {};
    target.input.fields.forEach(([name], i) => setField(record, name, args[i]));
    let inputData: Buffer;
    try {
      inputData = valueBytes(record, target.input);
    } catch (e) {
      return Promise.reject(new ConstellationError('InvalidModuleInput', `${target.id}: the input does not fit the provider's declared schema: ${e instanceof Error ? e.message : String(e)}`, permanent));
    }
    const trace = traceparent(call.executionId);
    const request = {
      moduleName: target.decl.name,
      inputData,
      executionId: call.executionId,
      metadata: {
        'constellation-node-id': String(call.nodeId),
        'constellation-structural-hash': call.structuralHash,
        'constellation-attempt': String(call.attempt),
        traceparent: trace,
      },
    };
    // the trace context also as a header, where gRPC tracing middleware looks for it
    const headers = new grpc.Metadata();
    headers.set('traceparent', trace);
    if (this.token) headers.set('authorization', `Bearer ${this.token}`);
    const options: grpc.CallOptions = call.deadline !== undefined ? { deadline: new Date(call.deadline) } : {};
    const client = this.channels.get(member.executorTarget, member.executorTls);
    const started = performance.now();
    return new Promise<Value>((resolve, reject) => {
      let settled = false;
      const inFlight: InFlightCall = {
        fail: (error) => {
          if (settled) return;
          settled = true;
          this.metrics.onCall(target.id, 'provider_gone', performance.now() - started, undefined);
          reject(new ConstellationError('ProviderUnavailable', `${target.id}: ${error.message}`));
          pending.cancel();
        },
      };
      const pending = client.execute(request, headers, options, (error, response) => {
        member.inFlight.delete(inFlight);
        if (settled) return;
        settled = true;
        const rtt = performance.now() - started;
        if (error) {
          const failure = transportFailure(target.id, error, call);
          this.metrics.onCall(target.id, failure.outcome, rtt, undefined);
          reject(failure.error);
          return;
        }
        try {
          const value = this.answer(target, member, response as ExecuteResponseMsg, rtt);
          resolve(value);
        } catch (e) {
          reject(e);
        }
      });
      member.inFlight.add(inFlight);
      token.onCancel(() => {
        if (settled) return;
        settled = true;
        member.inFlight.delete(inFlight);
        this.metrics.onCall(target.id, 'cancelled', performance.now() - started, undefined);
        pending.cancel();
      });
    });
  }

  /** The node's value from an ExecuteResponse; throws the node's error. */
  private answer(target: ProviderCallTarget, member: ProviderConnection, response: ExecuteResponseMsg, rtt: number): Value {
    const providerMs = response.metrics?.durationMs;
    if (response.error && response.result !== 'outputData') {
      const code = response.error.code ?? '';
      const message = `External module '${target.id}' failed: [${code || 'UNKNOWN'}] ${response.error.message ?? ''}`;
      this.metrics.onCall(target.id, outcomeOf(code), rtt, providerMs);
      switch (code) {
        case 'TIMEOUT':
          throw new ConstellationError('ModuleTimeout', message);
        case 'TYPE_ERROR':
          throw new ConstellationError('InvalidModuleInput', message, permanent);
        case 'MODULE_NOT_FOUND':
          // the provider no longer has a module it registered: worth an operator's attention
          this.log.warn({ module: target.id, connectionId: member.id, executorUrl: member.executorUrl }, 'provider answered MODULE_NOT_FOUND for a module it registered');
          throw new ConstellationError('ModuleNotFound', message, permanent);
        default:
          throw new ConstellationError('ModuleFailed', message);
      }
    }
    if (!response.outputData) {
      this.metrics.onCall(target.id, 'empty_response', rtt, providerMs);
      throw new ConstellationError('ModuleFailed', `External module '${target.id}' returned an empty response (neither output_data nor error)`);
    }
    try {
      const value = valueFromBytes(response.outputData, target.decl.output, `the output of '${target.id}'`);
      this.metrics.onCall(target.id, 'ok', rtt, providerMs);
      return value;
    } catch (e) {
      this.metrics.onCall(target.id, 'invalid_output', rtt, providerMs);
      if (e instanceof WireValueError) throw new ConstellationError('InvalidModuleOutput', `External module '${target.id}': ${e.message}`, permanent);
      throw e;
    }
  }
}

function outcomeOf(code: string): string {
  switch (code) {
    case 'TIMEOUT': return 'provider_timeout';
    case 'TYPE_ERROR': return 'type_error';
    case 'MODULE_NOT_FOUND': return 'module_not_found';
    case 'RUNTIME_ERROR': return 'runtime_error';
    default: return 'error';
  }
}

function transportFailure(id: string, error: grpc.ServiceError, call: RemoteCallContext): { error: Error; outcome: string } {
  const details = error.details || error.message;
  switch (error.code) {
    case grpc.status.DEADLINE_EXCEEDED: {
      const budget = call.deadline !== undefined ? ` (deadline ${new Date(call.deadline).toISOString()})` : '';
      return { error: new ConstellationError('ModuleTimeout', `External module '${id}' did not answer in time${budget}`), outcome: 'deadline_exceeded' };
    }
    case grpc.status.UNAVAILABLE:
      return { error: new ConstellationError('ProviderUnavailable', `External module '${id}': provider unreachable: ${details}`), outcome: 'unavailable' };
    case grpc.status.RESOURCE_EXHAUSTED:
      return { error: new ConstellationError('ModuleFailed', `External module '${id}': message too large: ${details}`, permanent), outcome: 'too_large' };
    case grpc.status.UNIMPLEMENTED:
      return { error: new ConstellationError('ModuleFailed', `External module '${id}': the executor does not serve ModuleExecutor.Execute: ${details}`, permanent), outcome: 'unimplemented' };
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.PERMISSION_DENIED:
      return { error: new ConstellationError('ModuleFailed', `External module '${id}': the executor refused the engine: ${details}`, permanent), outcome: 'refused' };
    default:
      return { error: new ConstellationError('ModuleFailed', `External module '${id}': ${grpc.status[error.code] ?? error.code}: ${details}`), outcome: 'transport_error' };
  }
}

/** Random span ids, cut from a pooled buffer (a fresh randomBytes per call costs ~20 µs under load). */
const spanIds = { pool: Buffer.alloc(0), at: 0 };

function spanId(): string {
  if (spanIds.at + 8 > spanIds.pool.length) {
    spanIds.pool = randomBytes(8 * 512);
    spanIds.at = 0;
  }
  const id = spanIds.pool.toString('hex', spanIds.at, spanIds.at + 8);
  spanIds.at += 8;
  return id;
}

/** W3C trace context for one call: the execution's trace id, a fresh span id, sampled. */
export function traceparent(executionId: string): string {
  const hex = executionId.replace(/-/g, '').toLowerCase();
  const traceId = /^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex) ? hex : createHash('sha256').update(executionId).digest('hex').slice(0, 32);
  return `00-${traceId}-${spanId()}-01`;
}
