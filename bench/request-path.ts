import { randomUUID } from 'node:crypto';
import { pipelineCodec } from '../runtime/codegen/pipeline-codec.js';
import { specialisedCheck } from '../runtime/codegen/zod-check.js';
import { Engine } from '../runtime/engine/engine.js';
import { invokeModule, prepare } from '../runtime/modules/call.js';
import type { ModuleContext } from '../runtime/modules/define.js';
import { randomUuid } from '../runtime/random-uuid.js';
import { encodeJson } from '../runtime/values/json.js';
import { jsonString } from '../runtime/values/json-text.js';
import { Router } from '../server/http/router.js';
import { ExecuteRequest } from '../server/schemas.js';
import { benchModules, PIPELINES } from './modules/bench-modules.js';
import type { Scenario } from './scenario.js';
import { median, round } from './stats.js';

/**
 * The steps of the `/execute` request path, each timed on its own in-process (µs per call):
 * request id, routing, body parse, envelope check, input decode, the run, output encoding, the
 * response's id text, and a module call's boundary checks — the generic way (what the server
 * did before) against the way it does it now. Both variants alternate in many short rounds and
 * the medians are compared, so a noisy machine touches both alike.
 */

type Step = { readonly name: string; readonly note: string; readonly generic: (n: number) => unknown; readonly now: (n: number) => unknown };

let sink: unknown;

async function timeRounds(step: Step, rounds: number, perRound: number): Promise<{ generic: number; now: number }> {
  const g: number[] = [];
  const n: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = process.hrtime.bigint();
    await step.generic(perRound);
    g.push(Number(process.hrtime.bigint() - t) / perRound / 1000);
    t = process.hrtime.bigint();
    await step.now(perRound);
    n.push(Number(process.hrtime.bigint() - t) / perRound / 1000);
  }
  return { generic: median(g), now: median(n) };
}

export async function runRequestPathBench(opts: { quick: boolean }): Promise<Scenario[]> {
  const engine = new Engine({ modules: benchModules.map((module) => ({ module })) });
  const trivial = engine.compile(PIPELINES.trivial()).dag!;
  const composition = engine.compile(PIPELINES.composition('')).dag!;
  const body = Buffer.from('{"ref":"trivial","inputs":{"x":41}}');
  const envelope = JSON.parse(body.toString('utf8')) as unknown;
  const inputs = { x: 41 };
  const compInputs = { id: 7 };
  const outputs = { result: { user: { id: 7, name: 'user-7' }, orders: 10, score: 7 / 3 } };
  const codec = pipelineCodec(composition);
  const router = new Router();
  for (const path of ['/compile', '/run', '/execute', '/pipelines', '/health', '/metrics', '/modules']) router.add('POST', path, () => ({ status: 200, body: null }));
  const table = new Map(['/compile', '/run', '/execute', '/pipelines', '/health', '/metrics', '/modules'].map((p) => [`POST ${p}`, p]));
  const url = ['/execute'].join('');
  const lookup = prepare(benchModules.find((m) => m.id === 'GetUser')!);
  const ctx = {} as ModuleContext;
  const module = lookup.module;

  const steps: Step[] = [
    { name: 'request-id', note: 'crypto.randomUUID → pooled ids sliced from a batch string', generic: (n) => { for (let i = 0; i < n; i++) sink = randomUUID(); }, now: (n) => { for (let i = 0; i < n; i++) sink = randomUuid(); } },
    { name: 'routing', note: 'a `${method} ${path}` key per request → per-path lists of prebuilt matches', generic: (n) => { for (let i = 0; i < n; i++) sink = { handler: table.get(`POST ${url}`), params: {} }; }, now: (n) => { for (let i = 0; i < n; i++) sink = router.match('POST', url); } },
    { name: 'body-parse', note: 'JSON.parse of the body (unchanged: the ceiling does the same)', generic: (n) => { for (let i = 0; i < n; i++) sink = JSON.parse(body.toString('utf8')); }, now: (n) => { for (let i = 0; i < n; i++) sink = JSON.parse(body.toString('utf8')); } },
    { name: 'envelope-check', note: 'zod safeParse of ExecuteRequest → its specialised check', generic: (n) => { for (let i = 0; i < n; i++) sink = ExecuteRequest.safeParse(envelope); }, now: (n) => { const check = specialisedCheck(ExecuteRequest); for (let i = 0; i < n; i++) sink = check(envelope); } },
    { name: 'input-decode', note: 'generic type-directed decoder → the pipeline\'s generated decoder', generic: (n) => { for (let i = 0; i < n; i++) sink = engine.decodeInputsGenerically(trivial, inputs); }, now: (n) => { for (let i = 0; i < n; i++) sink = engine.decodeInputs(trivial, inputs); } },
    { name: 'run-trivial', note: 'awaited Engine.run → Engine.runNow (no promise when nothing waits)', generic: async (n) => { for (let i = 0; i < n; i++) sink = await engine.run(trivial, inputs); }, now: (n) => { for (let i = 0; i < n; i++) sink = engine.runNow(trivial, inputs); } },
    { name: 'module-boundary', note: 'one front module call\'s input and output checks: zod → specialised checks', generic: (n) => { for (let i = 0; i < n; i++) { const r = lookup.module.input.safeParse(compInputs); sink = r.success && lookup.module.output.safeParse(module.run(r.data as never, ctx)); } }, now: (n) => { for (let i = 0; i < n; i++) sink = invokeModule(lookup, [7], ctx); } },
    { name: 'outputs-json', note: 'encodeJson + JSON.stringify → the generated encoder and stringifier', generic: (n) => { for (let i = 0; i < n; i++) sink = JSON.stringify({ result: encodeJson(outputs.result, composition.outputs[0]!.type) }); }, now: (n) => { for (let i = 0; i < n; i++) sink = codec.outputsJson(codec.encodeOutputs([outputs.result], Uint8Array.of(2), 2, [])); } },
    { name: 'id-json', note: 'JSON.stringify of the execution id → jsonString', generic: (n) => { for (let i = 0; i < n; i++) sink = JSON.stringify(randomUUID()); }, now: (n) => { for (let i = 0; i < n; i++) sink = jsonString(randomUuid()); } },
  ];
  const rounds = opts.quick ? 15 : 60;
  const perRound = opts.quick ? 2000 : 5000;
  for (const step of steps) await timeRounds(step, 3, perRound); // warm-up: JIT both variants
  const scenarios: Scenario[] = [];
  for (const step of steps) {
    const t = await timeRounds(step, rounds, perRound);
    scenarios.push({
      name: `step-${step.name}`, unit: 'µs/call', value: round(t.now, 3), peers: { before: round(t.generic, 3) }, ratio: round(t.now / t.generic, 2),
      tool: 'in-process', note: step.note,
    });
  }
  await engine.close();
  void sink;
  return scenarios;
}
