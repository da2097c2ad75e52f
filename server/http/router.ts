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

/** An exact route's match: built once at registration (no allocation per request); its params stay empty. */
interface ExactMatch extends Match {
  readonly method: string;
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class Router {
  /** Exact path → its routes, one per method (a short list: compared by method, no key string built per request). */
  private readonly exact = new Map<string, ExactMatch[]>();
  private readonly exactPaths = new Map<string, Set<string>>();
  private readonly patterns: PatternRoute[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    if (!pattern.includes(':')) {
      const routes = (this.exact.get(pattern) ?? []).filter((r) => r.method !== method);
      routes.push({ method, handler, params: NO_PARAMS, pattern });
      this.exact.set(pattern, routes);
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
    const routes = this.exact.get(path);
    if (routes) for (let i = 0; i < routes.length; i++) if (routes[i]!.method === method) return routes[i];
    let wrongMethod = routes !== undefined;
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
