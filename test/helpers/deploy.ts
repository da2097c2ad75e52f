import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileParser, type Dockerfile, type Env } from 'dockerfile-ast';
import { parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES } from '../../server/config-variables.js';
import { loadConfig, type Config } from '../../server/config.js';
import { loadLspSettings, type LspSettings } from '../../server/lsp/settings.js';
import { loadProviderConfig, type ProviderConfig } from '../../server/provider/config.js';

/**
 * The deployment files as the tests read them: paths from the repository root, YAML documents
 * (with compose's merge keys), compose's variable interpolation, and the configuration a set of
 * variables gives the server — through the server's own loaders, so a file is checked against
 * the code that will read it.
 */

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const DEPLOY = join(REPO, 'deploy');

export function readRepoFile(path: string): string {
  return readFileSync(join(REPO, path), 'utf8');
}

/** Every file under `deploy/`, as repository paths (`deploy/k8s/hpa.yaml`). */
export function deployFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(REPO, full).split('\\').join('/'));
    }
  };
  walk(DEPLOY);
  return out;
}

/** The YAML documents of a file; a syntax error throws with its line. */
export function yamlDocuments(path: string): unknown[] {
  const docs = parseAllDocuments(readRepoFile(path), { merge: true, prettyErrors: true });
  for (const d of docs) if (d.errors.length > 0) throw new Error(`${path}: ${d.errors.map((e) => e.message).join('; ')}`);
  return docs.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
}

/** The image tag `npm run docker:build` builds (its `-t`). */
export function dockerBuildTag(): string {
  const pkg = JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> };
  const m = /(?:^|\s)-t\s+(\S+)/.exec(pkg.scripts['docker:build'] ?? '');
  if (!m) throw new Error('package.json has no docker:build script with -t <tag>');
  return m[1]!;
}

/** The image's Dockerfile, parsed. */
export function dockerfile(): Dockerfile {
  return DockerfileParser.parse(readRepoFile('deploy/Dockerfile'));
}

/** The numeric user and group the image runs as (its last USER, `uid:gid`). */
export function imageUser(): { uid: number; gid: number } {
  const users = dockerfile().getInstructions().filter((i) => i.getKeyword() === 'USER');
  const m = /^(\d+):(\d+)$/.exec(users.at(-1)?.getArgumentsContent() ?? '');
  if (!m) throw new Error('the Dockerfile must end with a numeric USER uid:gid (Kubernetes verifies runAsNonRoot on numbers)');
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

/** The environment the image sets (ENV of its last stage): what compose and Kubernetes add to. */
export function imageEnvironment(): Record<string, string> {
  const df = dockerfile();
  const lastFrom = df.getFROMs().at(-1)!.getRange().start.line;
  const env: Record<string, string> = {};
  for (const i of df.getENVs().filter((e) => e.getRange().start.line > lastFrom) as Env[]) {
    for (const p of i.getProperties()) env[p.getName()] = p.getValue() ?? '';
  }
  return env;
}

/** Variables a deployment file may set besides the server's: Node's own. */
const NODE_VARIABLES = new Set(['NODE_OPTIONS', 'NODE_ENV']);

/** Names in `names` that neither the server nor Node reads. */
export function unknownVariables(names: Iterable<string>): string[] {
  return [...names].filter((n) => !CONFIG_VARIABLES.has(n) && !NODE_VARIABLES.has(n));
}

/** Compose's interpolation of `${VAR:-default}`, `${VAR-default}`, `${VAR}` and `$VAR` (`$$` is a `$`). */
export function interpolate(text: string, env: Readonly<Record<string, string>> = {}): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced?: string, op?: string, fallback?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const value = env[name];
    if (op === ':-') return value === undefined || value === '' ? fallback! : value;
    if (op === '-') return value === undefined ? fallback! : value;
    return value ?? '';
  });
}

export interface ServerSettings {
  readonly config: Config;
  /** The provider port's settings, or null when it is off. */
  readonly provider: ProviderConfig | null;
  /** The language server's (`/lsp`, always on). */
  readonly lsp: LspSettings;
}

/** What the server process (server/main.ts) makes of these variables; throws the ConfigError it would stop on. */
export function serverSettings(env: Readonly<Record<string, string>>): ServerSettings {
  return { config: loadConfig(env), provider: loadProviderConfig(env), lsp: loadLspSettings(env) };
}

/** Milliseconds of a duration written as compose and Kubernetes write them (`45s`, `1m30s`, `500ms`). */
export function composeDuration(text: string): number {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g;
  let matched = '';
  for (let m = re.exec(text); m; m = re.exec(text)) {
    matched += m[0];
    const n = Number(m[1]);
    total += n * { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001, ns: 0.000001 }[m[2] as 'h' | 'm' | 's' | 'ms' | 'us' | 'ns'];
  }
  if (matched !== text.trim()) throw new Error(`not a duration: '${text}'`);
  return total;
}
