/**
 * What the editor says about module call options (`with retry: 3, …`): names, value kinds,
 * placeholders for completion, and the hover texts. The option set itself is the parser's.
 */

export interface OptionDoc {
  readonly name: string;
  /** Value kind shown in completion details (`Integer`, `Duration`, …). */
  readonly valueType: string;
  /** What completion inserts after `name: `. */
  readonly placeholder: string;
  /** The option's signature in hover (`retry: Int`). */
  readonly signature: string;
  readonly summary: string;
  readonly description: string;
  readonly example: string;
  readonly related: readonly string[];
}

function doc(name: string, valueType: string, placeholder: string, signature: string, summary: string, description: string, related: readonly string[]): OptionDoc {
  return { name, valueType, placeholder, signature, summary, description, example: `result = MyModule(input) with ${name}: ${placeholder}`, related };
}

/** The options a user writes every day, in the order completion offers them. */
export const OPTION_DOCS: readonly OptionDoc[] = [
  doc('retry', 'Integer', '3', 'retry: Int', 'Retry attempts on failure',
    'Retries the call this many times after a failed attempt (so `retry: 3` makes at most four attempts). Combine with `delay` and `backoff` to space the attempts.', ['delay', 'backoff', 'fallback', 'on_error']),
  doc('timeout', 'Duration', '30s', 'timeout: Duration', 'Time limit per attempt',
    'Fails an attempt that takes longer than this; with `retry`, each attempt gets the full limit.', ['retry', 'fallback']),
  doc('delay', 'Duration', '1s', 'delay: Duration', 'Wait between retries',
    'How long to wait before a retry. Has no effect without `retry`.', ['retry', 'backoff']),
  doc('backoff', 'Strategy', 'exponential', 'backoff: fixed | linear | exponential', 'How the retry delay grows',
    'How the delay changes from one retry to the next: `fixed` keeps it, `linear` multiplies it by the attempt number, `exponential` doubles it each time.', ['retry', 'delay']),
  doc('fallback', 'Expression', 'defaultValue', 'fallback: Expression', 'Value used when the call fails',
    'An expression of the module\'s result type, evaluated only when every attempt failed; the call then yields it instead of failing.', ['retry', 'on_error']),
  doc('cache', 'Duration', '5min', 'cache: Duration', 'Cache successful results',
    'Remembers successful results for this long, keyed by the module, its version and its inputs.', ['cache_backend']),
  doc('cache_backend', 'String', '"redis"', 'cache_backend: String', 'Named cache storage',
    'Which configured cache backend stores the results (default: in memory). Has no effect without `cache`.', ['cache']),
  doc('throttle', 'Rate', '100/1min', 'throttle: Rate (count/duration)', 'Rate limit for the module',
    'At most this many calls of the module per time window, across executions; further calls wait.', ['concurrency']),
  doc('concurrency', 'Integer', '5', 'concurrency: Int', 'Parallel call limit',
    'At most this many calls of the module run at once; further calls wait for a slot.', ['throttle']),
  doc('on_error', 'Strategy', 'skip', 'on_error: propagate | skip | log | wrap', 'What a failure does',
    'When the call fails for good and there is no fallback: `propagate` fails the pipeline, `skip` continues with an empty result, `log` logs and continues, `wrap` wraps the error in a result value.', ['retry', 'fallback']),
  doc('lazy', 'Boolean', 'true', 'lazy: Boolean', 'Run only when needed',
    'The call runs only when something that is evaluated reads its result (for example only inside the taken branch of an `if`).', ['priority']),
  doc('priority', 'Level', 'normal', 'priority: critical | high | normal | low | background', 'Scheduling priority',
    'When the scheduler is bounded, higher-priority calls start first: critical, high, normal (default), low, background.', ['lazy']),
];

export const OPTION_DOC_BY_NAME: ReadonlyMap<string, OptionDoc> = new Map(OPTION_DOCS.map((o) => [o.name, o]));

export interface StrategyDoc {
  readonly category: 'Backoff Strategy' | 'Error Strategy' | 'Priority Level';
  readonly description: string;
}

export const STRATEGY_DOCS: ReadonlyMap<string, StrategyDoc> = new Map<string, StrategyDoc>([
  ['fixed', { category: 'Backoff Strategy', description: 'Every retry waits the same `delay`.' }],
  ['linear', { category: 'Backoff Strategy', description: 'The wait grows linearly: `delay` × attempt number.' }],
  ['exponential', { category: 'Backoff Strategy', description: 'The wait doubles each time: `delay` × 2^attempt.' }],
  ['propagate', { category: 'Error Strategy', description: 'The failure fails the pipeline (the default).' }],
  ['skip', { category: 'Error Strategy', description: 'The call yields an empty result and the pipeline continues.' }],
  ['log', { category: 'Error Strategy', description: 'The failure is logged, then the call yields an empty result and the pipeline continues.' }],
  ['wrap', { category: 'Error Strategy', description: 'The error is wrapped in a result value the pipeline can inspect.' }],
  ['critical', { category: 'Priority Level', description: 'Runs before everything else waiting for the scheduler.' }],
  ['high', { category: 'Priority Level', description: 'Runs before normal, low and background calls.' }],
  ['normal', { category: 'Priority Level', description: 'The default priority.' }],
  ['low', { category: 'Priority Level', description: 'Runs after critical, high and normal calls.' }],
  ['background', { category: 'Priority Level', description: 'Runs only when nothing else waits; may be delayed until the starvation timeout.' }],
]);

/** Values offered after `backoff:`, `on_error:` and `priority:`. */
export const OPTION_VALUES: Readonly<Record<string, { readonly values: readonly string[]; readonly detail: string }>> = {
  backoff: { values: ['fixed', 'linear', 'exponential'], detail: 'Backoff strategy' },
  on_error: { values: ['propagate', 'skip', 'log', 'wrap'], detail: 'Error handling strategy' },
  priority: { values: ['critical', 'high', 'normal', 'low', 'background'], detail: 'Priority level' },
};

export const DURATION_UNITS: readonly { readonly unit: string; readonly name: string }[] = [
  { unit: 'ms', name: 'milliseconds' },
  { unit: 's', name: 'seconds' },
  { unit: 'min', name: 'minutes' },
  { unit: 'h', name: 'hours' },
  { unit: 'd', name: 'days' },
];

export const CACHE_BACKENDS: readonly string[] = ['memory', 'redis', 'memcached'];

export function optionHoverMarkdown(o: OptionDoc): string {
  return [
    `### \`${o.signature}\``,
    '',
    o.description,
    '',
    '**Example**',
    '```constellation',
    o.example,
    '```',
    '',
    `**Related options**: ${o.related.map((r) => `\`${r}\``).join(', ')}`,
  ].join('\n');
}

export function strategyHoverMarkdown(value: string, s: StrategyDoc): string {
  return `### \`${value}\` (${s.category})\n\n${s.description}`;
}
