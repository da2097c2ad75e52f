import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { ParsedArgs } from './args.js';
import { usageError } from './exit.js';

/**
 * Where the client sends HTTP requests and with which key: flags, then
 * CONSTELLATION_SERVER_URL / CONSTELLATION_TOKEN, then `~/.constellation/config.json`, then
 * `http://localhost:8080`. A missing or corrupt config file counts as empty. Blank tokens are
 * never sent.
 */

export const DEFAULT_SERVER_URL = 'http://localhost:8080';

const ConfigFile = z.object({
  server: z.object({ url: z.string().optional(), token: z.string().optional() }).partial().optional(),
  defaults: z
    .object({ output: z.enum(['human', 'json']).optional(), viz_format: z.string().optional() })
    .partial()
    .optional(),
});

export type ConfigFile = z.infer<typeof ConfigFile>;

export type Env = Readonly<Record<string, string | undefined>>;

export function configFilePath(env: Env): string {
  return join(env.HOME || env.USERPROFILE || homedir(), '.constellation', 'config.json');
}

/** The config file's contents, or `{}` when it is absent, unreadable or malformed. */
export function readConfigFile(env: Env): ConfigFile {
  try {
    const parsed = ConfigFile.safeParse(JSON.parse(readFileSync(configFilePath(env), 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

export interface Connection {
  readonly baseUrl: URL;
  readonly token: string | undefined;
}

function nonBlank(s: string | undefined): string | undefined {
  return s !== undefined && s.trim().length > 0 ? s.trim() : undefined;
}

/** Validates a server URL: absolute http(s), no query or fragment. Otherwise a usage error. */
export function parseServerUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`invalid server URL '${text}' (expected e.g. http://localhost:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`invalid server URL '${text}': only http and https are supported`);
  if (url.search || url.hash) throw usageError(`invalid server URL '${text}': no query string or fragment allowed`);
  return url;
}

export function resolveConnection(args: ParsedArgs, env: Env, file: ConfigFile): Connection {
  const url = nonBlank(args.server) ?? nonBlank(env.CONSTELLATION_SERVER_URL) ?? nonBlank(file.server?.url) ?? DEFAULT_SERVER_URL;
  const token = args.token !== undefined ? nonBlank(args.token) : (nonBlank(env.CONSTELLATION_TOKEN) ?? nonBlank(file.server?.token));
  return { baseUrl: parseServerUrl(url), token };
}
