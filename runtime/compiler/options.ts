import type { CallOption, Duration } from '../language/ast.js';
import type { DiagnosticSink } from '../language/diagnostics.js';

/**
 * The `with` clause after parsing: validated and normalised into the
 * reference's field names. `fallback` is not here: the compiler turns it into DAG nodes.
 */
export interface ModuleCallOptions {
  readonly retry?: number;
  readonly timeoutMs?: number;
  readonly delayMs?: number;
  readonly backoff?: 'fixed' | 'linear' | 'exponential';
  readonly cacheMs?: number;
  readonly cacheBackend?: string;
  readonly throttleCount?: number;
  readonly throttlePerMs?: number;
  readonly concurrency?: number;
  readonly onError?: 'propagate' | 'skip' | 'log' | 'wrap';
  readonly lazyEval?: boolean;
  /** 0…100 after clamping (critical 100, high 80, normal 50, low 20, background 0). */
  readonly priority?: number;
  readonly batchSize?: number;
  readonly batchTimeoutMs?: number;
  readonly window?: string;
  readonly checkpointMs?: number;
  readonly joinStrategy?: string;
  /** True when the call has a fallback (the value comes from the call's recover node). */
  readonly hasFallback?: boolean;
}

export const PRIORITY_LEVELS: Readonly<Record<string, number>> = { critical: 100, high: 80, normal: 50, low: 20, background: 0 };

const MAX_TIMER_MS = 2_147_483_647;

const UNIT_WORDS: Record<string, string> = { ms: 'Milliseconds', s: 'Seconds', min: 'Minutes', h: 'Hours', d: 'Days' };

function durationText(d: Duration): string {
  return `${d.amount}${d.unit}`;
}

/**
 * Validates and normalises options. Reports only the first option error of a call, in the
 * reference's check order, and the warnings.
 */
export function normaliseOptions(options: readonly CallOption[], sink: DiagnosticSink, callSpan: { start: number; end: number }): ModuleCallOptions | undefined {
  if (options.length === 0) return undefined;
  const last = new Map<string, CallOption>();
  for (const o of options) last.set(o.name.name, o); // a repeated option: the last one wins
  const out: { -readonly [K in keyof ModuleCallOptions]: ModuleCallOptions[K] } = {};

  const errorOrder = ['retry', 'concurrency', 'throttle', 'timeout', 'delay', 'cache', 'batch', 'batch_timeout', 'checkpoint'];
  for (const name of errorOrder) {
    const o = last.get(name);
    if (!o) continue;
    const v = o.value;
    let problem: string | undefined;
    if (v.kind === 'uint' && (name === 'concurrency' || name === 'batch') && v.value <= 0) problem = `Invalid value for '${name}': ${v.value} (must be > 0)`;
    if (v.kind === 'duration' && v.value.ms <= 0) problem = `Invalid value for '${name}': ${durationText(v.value)} (must be > 0)`;
    // timers cannot wait longer than 2^31 - 1 ms (Node fires them at once instead)
    if (v.kind === 'duration' && (name === 'timeout' || name === 'delay') && v.value.ms > MAX_TIMER_MS) {
      problem = `Invalid value for '${name}': ${durationText(v.value)} (must be at most ${MAX_TIMER_MS}ms, about 24 days)`;
    }
    if (v.kind === 'rate') {
      if (v.count <= 0) problem = `Invalid value for 'throttle': ${v.count}/${v.per.amount}${UNIT_WORDS[v.per.unit]} (count must be > 0)`;
      else if (v.per.ms <= 0) problem = `Invalid value for 'throttle': ${v.count}/${durationText(v.per)} (period must be > 0)`;
    }
    if (problem) {
      sink.error('E016', problem, o.span);
      return undefined;
    }
  }

  for (const [name, o] of last) {
    const v = o.value;
    switch (name) {
      case 'retry': if (v.kind === 'uint') out.retry = v.value; break;
      case 'timeout': if (v.kind === 'duration') out.timeoutMs = v.value.ms; break;
      case 'delay': if (v.kind === 'duration') out.delayMs = v.value.ms; break;
      case 'backoff': if (v.kind === 'word') out.backoff = v.value as ModuleCallOptions['backoff']; break;
      case 'cache': if (v.kind === 'duration') out.cacheMs = v.value.ms; break;
      case 'cache_backend': if (v.kind === 'string') out.cacheBackend = v.value; break;
      case 'throttle': if (v.kind === 'rate') { out.throttleCount = v.count; out.throttlePerMs = v.per.ms; } break;
      case 'concurrency': if (v.kind === 'uint') out.concurrency = v.value; break;
      case 'on_error': if (v.kind === 'word') out.onError = v.value as ModuleCallOptions['onError']; break;
      case 'lazy': if (v.kind === 'bool') out.lazyEval = v.value; break;
      case 'priority':
        if (v.kind === 'word') out.priority = PRIORITY_LEVELS[v.value]!;
        else if (v.kind === 'int') out.priority = Math.max(0, Math.min(100, v.value));
        break;
      case 'batch': if (v.kind === 'uint') out.batchSize = v.value; break;
      case 'batch_timeout': if (v.kind === 'duration') out.batchTimeoutMs = v.value.ms; break;
      case 'window': if (v.kind === 'window') out.window = v.value; break;
      case 'checkpoint': if (v.kind === 'duration') out.checkpointMs = v.value.ms; break;
      case 'join': if (v.kind === 'join') out.joinStrategy = v.value; break;
      case 'fallback': out.hasFallback = true; break;
    }
  }

  const span = (name: string) => last.get(name)?.span ?? callSpan;
  if (last.has('delay') && !last.has('retry')) sink.warning('W001', "'delay' without 'retry' has no effect", span('delay'));
  if (last.has('backoff') && !last.has('delay')) sink.warning('W002', "'backoff' without 'delay' has no effect", span('backoff'));
  if (last.has('backoff') && !last.has('retry')) sink.warning('W003', "'backoff' without 'retry' has no effect", span('backoff'));
  if (last.has('cache_backend') && !last.has('cache')) sink.warning('W004', "'cache_backend' without 'cache' has no effect", span('cache_backend'));
  if (last.has('batch_timeout') && !last.has('batch')) sink.warning('W005', "'batch_timeout' without 'batch' has no effect", span('batch_timeout'));
  if ((out.retry ?? 0) > 10) sink.warning('W006', `High retry count (${out.retry}) - consider using a lower value with exponential backoff`, span('retry'));
  if (last.has('window') && last.has('batch')) sink.warning('W007', "'window' and 'batch' are mutually exclusive; 'batch' will be ignored", span('batch'));
  if (out.onError === 'wrap') sink.warning('W008', "'on_error: wrap' has no typed result in constellation-lang; it is treated as 'propagate'", span('on_error'));
  if (out.onError && out.onError !== 'propagate' && out.hasFallback) {
    sink.warning('W009', `'on_error: ${out.onError}' has no effect when the call has a 'fallback' (the fallback takes precedence)`, span('on_error'));
  }
  return out;
}
