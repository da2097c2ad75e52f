import type { Handler } from './types.js';

/**
 * A small router: exact paths in a map (the hot routes), parameterised patterns
 * (`/pipelines/:ref/versions`) matched per segment in registration order. Distinguishes "no such
 * path" (404) from "path exists, wrong method" (405).
 */

interface PatternRoute {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: Handler;
  readonly pattern: string;
}

export interface Match {
  readonly handler: Handler;
  readonly params: Record<string, string>;
  readonly pattern: string;
}

export class Router {
  private readonly exact = new Map<string, { handler: Handler; pattern: string }>();
  private readonly exactPaths = new Map<string, Set<string>>();
  private readonly patterns: PatternRoute[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    if (!pattern.includes(':')) {
      this.exact.set(`${method} ${pattern}`, { handler, pattern });
      const methods = this.exactPaths.get(pattern) ?? new Set();
      methods.add(method);
      this.exactPaths.set(pattern, methods);
    } else {
      this.patterns.push({ method, segments: pattern.split('/').slice(1), handler, pattern });
    }
    return this;
  }

  /** The matched route, `'method'` when only the method is wrong, or `undefined`. */
  match(method: string, path: string): Match | 'method' | undefined {
    const hit = this.exact.get(`${method} ${path}`);
    if (hit) return { handler: hit.handler, params: {}, pattern: hit.pattern };
    let wrongMethod = this.exactPaths.has(path);
    const parts = path.split('/').slice(1);
    for (const route of this.patterns) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method) return { handler: route.handler, params, pattern: route.pattern };
      wrongMethod = true;
    }
    return wrongMethod ? 'method' : undefined;
  }

  /** Allowed methods for a path (for 405 `Allow` headers and CORS). */
  methodsFor(path: string): string[] {
    const out = new Set(this.exactPaths.get(path) ?? []);
    const parts = path.split('/').slice(1);
    for (const route of this.patterns) if (matchSegments(route.segments, parts)) out.add(route.method);
    return [...out];
  }
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const v = parts[i]!;
    if (p.startsWith(':')) {
      if (v.length === 0) return undefined;
      try {
        params[p.slice(1)] = decodeURIComponent(v);
      } catch {
        return undefined;
      }
    } else if (p !== v) return undefined;
  }
  return params;
}
