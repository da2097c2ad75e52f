import { posix } from 'node:path';
import { interpolate, yamlDocuments } from './deploy.js';

/**
 * A compose file as the tests read it: services with their environment interpolated the way
 * `docker compose` does with an empty shell environment (defaults apply), extension fields
 * (`x-…`, YAML anchors and merge keys) resolved away, paths relative to the file's directory.
 */

export interface ComposeService {
  readonly name: string;
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile?: string };
  readonly command?: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  /** `host:container` mappings, interpolated. */
  readonly ports: readonly string[];
  readonly volumes: readonly string[];
  readonly dependsOn: readonly string[];
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly profiles: readonly string[];
  readonly stopGracePeriod?: string;
}

export interface ComposeFile {
  readonly path: string;
  /** The file's directory, from the repository root (relative paths in the file start here). */
  readonly dir: string;
  readonly services: ReadonlyMap<string, ComposeService>;
  readonly volumes: readonly string[];
}

type Raw = Record<string, any>;

function environment(raw: unknown): Record<string, string> {
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      raw.map((entry: string) => {
        const i = String(entry).indexOf('=');
        return i < 0 ? [entry, ''] : [entry.slice(0, i), interpolate(entry.slice(i + 1))];
      }),
    );
  }
  return Object.fromEntries(Object.entries((raw ?? {}) as Raw).map(([k, v]) => [k, interpolate(String(v))]));
}

export function loadCompose(path: string): ComposeFile {
  const [doc] = yamlDocuments(path) as Raw[];
  const services = new Map<string, ComposeService>();
  for (const [name, s] of Object.entries((doc!.services ?? {}) as Raw)) {
    const dependsOn = Array.isArray(s.depends_on) ? (s.depends_on as string[]) : Object.keys(s.depends_on ?? {});
    services.set(name, {
      name,
      image: s.image,
      build: typeof s.build === 'string' ? { context: s.build } : s.build,
      command: s.command,
      environment: environment(s.environment),
      ports: (s.ports ?? []).map((p: unknown) => interpolate(String(p))),
      volumes: (s.volumes ?? []).map((v: unknown) => interpolate(String(v))),
      dependsOn,
      healthcheck: s.healthcheck ? { test: (s.healthcheck.test as string[]).map((t) => interpolate(t)) } : undefined,
      profiles: s.profiles ?? [],
      stopGracePeriod: s.stop_grace_period,
    });
  }
  return { path, dir: posix.dirname(path), services, volumes: Object.keys(doc!.volumes ?? {}) };
}

/** The value following `flag` in a command line (`--routes a,b` → `a,b`). */
export function flagValue(command: readonly string[], ...flags: string[]): string | undefined {
  const i = command.findIndex((a) => flags.includes(a));
  return i >= 0 ? command[i + 1] : undefined;
}
