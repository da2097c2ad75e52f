import { readFileSync } from 'node:fs';

/**
 * The client's version: package.json's, read next to the compiled output
 * (dist/bin/cli/version.js → ../../../package.json), which is also where an installed package keeps it.
 */
export function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
