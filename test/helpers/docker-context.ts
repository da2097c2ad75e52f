import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';

/**
 * The build context Docker sends for the repository root: every file minus what `.dockerignore`
 * excludes, with Docker's rules — patterns relative to the context root (a leading `/` is
 * dropped), `*` and `?` within one path segment, `**` across segments, a pattern that matches a
 * directory excludes everything in it, `!` re-includes, the last matching line wins.
 */

interface Rule {
  readonly pattern: RegExp;
  readonly exclude: boolean;
}

function toRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more directories, a trailing `**` anything
      re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i);
      re += end > i ? pattern.slice(i, end + 1).replace('[!', '[^') : '\\[';
      if (end > i) i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseDockerignore(text: string): Rule[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => {
      const exclude = !l.startsWith('!');
      const body = posix.normalize((exclude ? l : l.slice(1)).trim().replace(/^\/+/, '')).replace(/\/+$/, '');
      return { pattern: toRegExp(body), exclude };
    });
}

/** Whether `path` (relative, `/`-separated) is left out of the context. */
export function ignored(rules: readonly Rule[], path: string): boolean {
  const parts = path.split('/');
  let out = false;
  // a rule matching a parent directory covers the path too
  for (const rule of rules) {
    for (let n = 1; n <= parts.length; n++) {
      if (rule.pattern.test(parts.slice(0, n).join('/'))) {
        out = rule.exclude;
        break;
      }
    }
  }
  return out;
}

export class BuildContext {
  private readonly rules: Rule[];

  constructor(readonly root: string) {
    const file = join(root, '.dockerignore');
    this.rules = existsSync(file) ? parseDockerignore(readFileSync(file, 'utf8')) : [];
  }

  ignored(path: string): boolean {
    return ignored(this.rules, path);
  }

  /** The files of the context under `source` (relative; `.` for all), as relative paths. */
  files(source: string): string[] {
    const start = posix.normalize(source).replace(/^\.\/?/, '').replace(/\/$/, '');
    const out: string[] = [];
    const walk = (rel: string) => {
      if (rel !== '' && this.ignored(rel)) return;
      const full = join(this.root, rel);
      if (statSync(full).isDirectory()) for (const name of readdirSync(full).sort()) walk(rel === '' ? name : `${rel}/${name}`);
      else out.push(rel);
    };
    if (start !== '' && !existsSync(join(this.root, start))) throw new Error(`COPY ${source}: not in the build context`);
    walk(start);
    return out;
  }

  /**
   * COPY `sources` → `dest` (relative to `into`): a directory's contents go into `dest`; files
   * into `dest` when it ends with `/` or several sources are given, else to `dest` itself.
   */
  copy(sources: readonly string[], dest: string, into: string): void {
    const toDir = dest.endsWith('/') || sources.length > 1;
    for (const source of sources) {
      const start = posix.normalize(source).replace(/^\.\/?/, '').replace(/\/$/, '');
      const isDir = start === '' || statSync(join(this.root, start)).isDirectory();
      if (!isDir && this.ignored(start)) throw new Error(`COPY ${source}: excluded by .dockerignore`);
      for (const file of this.files(source)) {
        const within = isDir ? file.slice(start === '' ? 0 : start.length + 1) : posix.basename(file);
        const target = isDir || toDir ? join(into, dest, within) : join(into, dest);
        mkdirSync(dirname(target), { recursive: true });
        cpSync(join(this.root, file), target);
      }
    }
  }
}
