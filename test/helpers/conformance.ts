import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One case of test/conformance (see its README.md). */
export interface ConformanceCase {
  readonly file: string;
  readonly name: string;
  readonly source: string;
  readonly inputs: Record<string, unknown>;
  readonly expect:
    | { readonly outputs: Record<string, unknown>; readonly compileError?: undefined }
    | { readonly compileError: { readonly code: string; readonly messageContains: string }; readonly outputs?: undefined };
}

/**
 * The conformance directory of the repository. Tests run from dist/test/…, so the path is taken
 * relative to this compiled file (dist/test/helpers → test/conformance), with the working
 * directory (the repository root when run by `npm test`) as a fallback.
 */
export function conformanceDir(): string {
  const fromHere = fileURLToPath(new URL('../../../test/conformance/', import.meta.url));
  if (existsSync(fromHere)) return fromHere;
  return join(process.cwd(), 'test', 'conformance');
}

let cached: ConformanceCase[] | undefined;

/** Every case, sorted by file name. */
export function loadConformanceCases(): ConformanceCase[] {
  if (!cached) {
    const dir = conformanceDir();
    cached = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((file) => ({ file, ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<ConformanceCase, 'file'>) }));
  }
  return cached;
}

export function compilingCases(): ConformanceCase[] {
  return loadConformanceCases().filter((c) => !c.expect.compileError);
}

export function failingCases(): ConformanceCase[] {
  return loadConformanceCases().filter((c) => !!c.expect.compileError);
}
