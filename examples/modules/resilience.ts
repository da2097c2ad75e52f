import { z } from 'zod';
import { defineModule } from '../../runtime/modules/define.js';

/**
 * Resilience demonstration modules. They simulate latency with
 * cancellable sleeps and keep call counters per engine instance (`createState`), so they run on
 * the coordinator (`placement: 'front'`): the counters must be shared by every call of one
 * engine, which worker threads would split.
 */

const str = (field: string) => z.object({ [field]: z.string() }) as z.ZodObject<Record<string, z.ZodString>>;

function delayed(name: string, inField: string, outField: string, ms: number, result: (s: string) => string, description: string) {
  return defineModule({
    name,
    description,
    placement: 'front',
    input: str(inField),
    output: str(outField),
    run: async (input, ctx) => {
      await ctx.sleep(ms);
      return { [outField]: result(input[inField] as string) };
    },
  });
}

export const SlowQuery = delayed('SlowQuery', 'query', 'result', 500, (q) => `Result for: ${q}`, 'Simulated 500 ms database query');
export const SlowApiCall = delayed('SlowApiCall', 'endpoint', 'data', 1000, (e) => `API response from: ${e}`, 'Simulated 1 s API call');
export const ExpensiveCompute = delayed('ExpensiveCompute', 'data', 'result', 2000, (d) => `Computed: ${d.toUpperCase()}`, 'Simulated 2 s computation');
export const RateLimitedApi = delayed('RateLimitedApi', 'request', 'response', 50, (r) => `Rate-limited response for: ${r}`, 'Simulated 50 ms rate-limited API');
export const ResourceIntensiveTask = delayed('ResourceIntensiveTask', 'task', 'result', 200, (t) => `Completed: ${t}`, 'Simulated 200 ms task');
export const QuickCheck = delayed('QuickCheck', 'data', 'result', 10, (d) => (d.toLowerCase().includes('complex') ? 'needs-deep-analysis' : 'valid'), 'Simulated 10 ms check');
export const DeepAnalysis = delayed('DeepAnalysis', 'data', 'analysis', 1500, (d) => `Deep analysis of: ${d}`, 'Simulated 1.5 s analysis');

export const FlakyService = defineModule({
  name: 'FlakyService',
  description: 'Fails unless its call counter is a multiple of 3',
  placement: 'front',
  input: z.object({ request: z.string() }),
  output: z.object({ response: z.string() }),
  createState: () => ({ calls: 0 }),
  run: ({ request }, ctx) => {
    const n = ++ctx.state.calls;
    if (n % 3 !== 0) throw new Error(`Service temporarily unavailable (attempt ${n})`);
    return { response: `Success for: ${request}` };
  },
});

export const TimeoutProneService = defineModule({
  name: 'TimeoutProneService',
  description: 'Takes 3 s on its first call, 100 ms afterwards',
  placement: 'front',
  input: z.object({ request: z.string() }),
  output: z.object({ response: z.string() }),
  createState: () => ({ calls: 0 }),
  run: async ({ request }, ctx) => {
    const n = ++ctx.state.calls;
    await ctx.sleep(n === 1 ? 3000 : 100);
    return { response: `Response for: ${request}` };
  },
});

export const AlwaysFailsService = defineModule({
  name: 'AlwaysFailsService',
  description: 'Always fails',
  placement: 'front',
  input: z.object({ request: z.string() }),
  output: z.object({ response: z.string() }),
  run: ({ request }) => {
    throw new Error(`Service failed for: ${request}`);
  },
});

export const resilienceModules = [
  SlowQuery, SlowApiCall, ExpensiveCompute, FlakyService, TimeoutProneService, RateLimitedApi,
  ResourceIntensiveTask, QuickCheck, DeepAnalysis, AlwaysFailsService,
];
