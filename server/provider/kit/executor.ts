import * as grpc from '@grpc/grpc-js';
import { prepare, sleep, type PreparedModule } from '../../../runtime/modules/call.js';
import { invokeModule } from '../../../runtime/modules/call.js';
import type { ConstellationModule, ModuleContext } from '../../../runtime/modules/define.js';
import { ConstellationError } from '../../../runtime/errors.js';
import { bindServer, stopServer } from '../grpc-server.js';
import { services, type ExecuteRequestMsg, type ExecuteResponseMsg } from '../proto.js';
import { tokenAccepted } from '../security.js';
import { fromEngineType, product, type WireProduct, type WireType } from '../type-schema.js';
import { valueBytes, valueFromBytes, WireValueError } from '../wire-values.js';

/**
 * The provider side of execution: a gRPC server hosting `ModuleExecutor.Execute` for a set of
 * `defineModule` modules. A call is decoded against the module's input record, validated by its
 * zod schema and run exactly as the engine runs a local module (same input/output conversion),
 * in this process; its result is encoded against the declared output type.
 *
 * Answers: unknown module → MODULE_NOT_FOUND; an input that does not decode or does not pass the
 * input schema → TYPE_ERROR; the module throws or returns a value its output schema refuses →
 * RUNTIME_ERROR (with up to 10 stack lines); the call's gRPC deadline passes first → TIMEOUT
 * (the module's `ctx.signal` aborts then, and when the engine cancels the call).
 * `metrics.duration_ms` is the module's own run time.
 */

/** A module as served: its wire schemas, derived from its zod schemas. */
export interface ServedModule {
  readonly module: ConstellationModule;
  readonly prepared: PreparedModule;
  readonly input: WireProduct;
  readonly output: WireType;
  readonly state: unknown;
}

export function serveModule(module: ConstellationModule): ServedModule {
  const input = product(module.params.map((p) => [p.name, fromEngineType(p.type, `${module.name}.input.${p.name}`)] as const));
  const output = fromEngineType(module.returns, `${module.name}.output`);
  return { module, prepared: prepare(module), input, output, state: module.createState?.() };
}

export interface ExecutorOptions {
  readonly host: string;
  readonly port: number;
  readonly credentials: grpc.ServerCredentials;
  /** When set, calls must carry `authorization: Bearer <token>` (the engine sends its provider token). */
  readonly token: string | null;
  readonly maxMessageBytes: number;
}

export class ExecutorServer {
  private modules = new Map<string, ServedModule>();
  /** Calls being executed now (a drained provider waits for them before leaving). */
  inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  private constructor(private readonly server: grpc.Server, readonly port: number) {}

  static async start(modules: readonly ServedModule[], options: ExecutorOptions): Promise<ExecutorServer> {
    const server = new grpc.Server({ 'grpc.max_receive_message_length': options.maxMessageBytes, 'grpc.max_send_message_length': options.maxMessageBytes });
    let executor: ExecutorServer | undefined;
    server.addService(services().ModuleExecutor.service, {
      execute: (call: grpc.ServerUnaryCall<ExecuteRequestMsg, ExecuteResponseMsg>, callback: grpc.sendUnaryData<ExecuteResponseMsg>) => {
        if (!tokenAccepted(options.token, call.metadata)) {
          callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong token' });
          return;
        }
        executor!.execute(call).then(
          (response) => callback(null, response),
          (e: unknown) => callback({ code: grpc.status.INTERNAL, details: e instanceof Error ? e.message : String(e) }),
        );
      },
    });
    const port = await bindServer(server, options.host, options.port, options.credentials, 'the executor port');
    executor = new ExecutorServer(server, port);
    executor.setModules(modules);
    return executor;
  }

  /** Swaps the served modules (an in-place re-registration serves the new ones from now on). */
  setModules(modules: readonly ServedModule[]): void {
    this.modules = new Map(modules.map((m) => [m.module.name, m]));
  }

  /** Resolves when no call is executing. */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async execute(call: grpc.ServerUnaryCall<ExecuteRequestMsg, ExecuteResponseMsg>): Promise<ExecuteResponseMsg> {
    const started = performance.now();
    const request = call.request;
    const done = (response: Omit<ExecuteResponseMsg, 'metrics'>): ExecuteResponseMsg => ({ ...response, metrics: { durationMs: Math.round(performance.now() - started), memoryBytes: 0 } });
    const error = (code: string, message: string, stackTrace = '') => done({ error: { code, message, stackTrace } });
    const served = this.modules.get(request.moduleName ?? '');
    if (!served) return error('MODULE_NOT_FOUND', `Module not found: ${request.moduleName ?? ''}`);
    let record: Record<string, unknown>;
    try {
      record = valueFromBytes(request.inputData ?? Buffer.alloc(0), served.input, 'the input') as Record<string, unknown>;
    } catch (e) {
      return error('TYPE_ERROR', e instanceof Error ? e.message : String(e));
    }
    const args = served.module.params.map((p) => record[p.name]);
    const controller = new AbortController();
    const deadline = call.getDeadline();
    const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
    let timer: NodeJS.Timeout | undefined;
    if (Number.isFinite(deadlineMs)) {
      timer = setTimeout(() => controller.abort(new ConstellationError('ModuleTimeout', 'the call deadline passed')), Math.max(0, deadlineMs - Date.now()));
    }
    const onCancel = () => controller.abort(new ConstellationError('Cancelled', 'the engine cancelled the call'));
    call.on('cancelled', onCancel);
    const attempt = Number(request.metadata?.['constellation-attempt'] ?? '1') || 1;
    const ctx: ModuleContext = {
      signal: controller.signal,
      attempt,
      executionId: request.executionId ?? '',
      state: served.state,
      sleep: (ms) => sleep(ms, controller.signal),
    };
    this.inFlight++;
    try {
      const value = await Promise.race([
        Promise.resolve().then(() => invokeModule(served.prepared, args, ctx)),
        new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })),
      ]);
      try {
        return done({ outputData: valueBytes(value, served.output) });
      } catch (e) {
        return error('RUNTIME_ERROR', `the output cannot be encoded: ${e instanceof Error ? e.message : String(e)}`);
      }
    } catch (e) {
      if (e instanceof ConstellationError && e.code === 'ModuleTimeout') return error('TIMEOUT', `${served.module.name} did not finish before the call deadline`);
      if (e instanceof ConstellationError && e.code === 'InvalidModuleInput') return error('TYPE_ERROR', e.message);
      if (e instanceof WireValueError) return error('TYPE_ERROR', e.message);
      const err = e instanceof Error ? e : new Error(String(e));
      return error('RUNTIME_ERROR', err.message, (err.stack ?? '').split('\n').slice(0, 10).join('\n'));
    } finally {
      if (timer) clearTimeout(timer);
      call.removeListener('cancelled', onCancel);
      this.inFlight--;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  async stop(): Promise<void> {
    await stopServer(this.server, 5000);
  }
}
