import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { Copy, Dockerfile, Env, Instruction } from 'dockerfile-ast';
import { BuildContext } from './docker-context.js';
import { REPO } from './deploy.js';

/**
 * The Dockerfile's stages replayed without Docker (which cannot run here): each stage's working
 * directory is a temporary directory, COPY copies from the real build context (honouring
 * .dockerignore) or from an earlier stage, RUN runs the commands it knows — `npm ci` links this
 * checkout's node_modules (the same lock file), `npm run <script>` runs for real, `npm prune
 * --omit=dev` keeps only the lock file's production packages — and skips the system set-up of
 * the base image (apt-get, users, directories), which the static checks read instead. A command
 * it does not know fails the replay: a new step in the Dockerfile gets a rule here.
 *
 * What it proves: the build stage builds from exactly what it copies, and the runtime stage's
 * files, production dependencies and environment make a server that starts.
 */

export interface Stage {
  readonly name: string;
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

export function stages(df: Dockerfile): Stage[] {
  const out: { name: string; image: string; instructions: Instruction[] }[] = [];
  for (const i of df.getInstructions()) {
    if (i.getKeyword() === 'FROM') {
      const from = df.getFROMs().find((f) => f.getRange().start.line === i.getRange().start.line)!;
      out.push({ name: from.getBuildStage() ?? String(out.length), image: from.getImage() ?? '', instructions: [] });
    } else {
      if (out.length === 0) throw new Error(`${i.getKeyword()} before FROM`);
      out.at(-1)!.instructions.push(i);
    }
  }
  return out;
}

export interface ReplayedStage {
  readonly dir: string;
  readonly workdir: string;
  readonly env: Record<string, string>;
  readonly skipped: string[];
}

/** `npm prune --omit=dev`: node_modules with the lock file's non-dev top-level packages only. */
function pruneToProduction(stageDir: string): void {
  const modules = join(stageDir, 'node_modules');
  const source = lstatSync(modules).isSymbolicLink() ? join(REPO, 'node_modules') : modules;
  const lock = JSON.parse(readFileSync(join(stageDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const pruned = `${modules}.pruned`;
  mkdirSync(pruned);
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/') || path.indexOf('/node_modules/', 1) >= 0 || entry.dev) continue;
    const name = path.slice('node_modules/'.length);
    if (!existsSync(join(source, name))) continue; // an optional package for another platform
    mkdirSync(dirname(join(pruned, name)), { recursive: true });
    symlinkSync(join(source, name), join(pruned, name));
  }
  execFileSync('rm', ['-rf', modules]);
  execFileSync('mv', [pruned, modules]);
}

/** System set-up a runtime stage may do, skipped by the replay. */
const SYSTEM_COMMANDS = /^(apt-get (update|install)|rm -rf \/var\/lib\/apt\/lists\/\*|groupadd|useradd|mkdir -p \/|chown )/;

function runCommand(command: string, stageDir: string, skipped: string[]): void {
  if (/^npm ci( |$)/.test(command)) {
    for (const f of ['package.json', 'package-lock.json']) if (!existsSync(join(stageDir, f))) throw new Error(`npm ci without ${f} in the stage`);
    symlinkSync(join(REPO, 'node_modules'), join(stageDir, 'node_modules'));
    return;
  }
  const script = /^npm run ([\w:-]+)$/.exec(command)?.[1];
  if (script) {
    const pkg = JSON.parse(readFileSync(join(stageDir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    if (!pkg.scripts?.[script]) throw new Error(`npm run ${script}: no such script`);
    execFileSync('npm', ['run', '--silent', script], { cwd: stageDir, stdio: ['ignore', 'ignore', 'pipe'] });
    return;
  }
  if (command === 'npm prune --omit=dev') {
    pruneToProduction(stageDir);
    return;
  }
  if (SYSTEM_COMMANDS.test(command)) {
    skipped.push(command);
    return;
  }
  throw new Error(`the replay does not know how to run \`${command}\`: teach test/helpers/docker-replay.ts`);
}

/** Replays every stage into a directory of its own under `root`; returns them by stage name. */
export function replay(df: Dockerfile, root: string): Map<string, ReplayedStage> {
  const context = new BuildContext(REPO);
  const done = new Map<string, ReplayedStage>();
  for (const stage of stages(df)) {
    const dir = join(root, stage.name);
    mkdirSync(dir, { recursive: true });
    let workdir = '/';
    const env: Record<string, string> = {};
    const skipped: string[] = [];
    // paths of the image, relative to the stage's WORKDIR (the only directory replayed)
    const inStage = (path: string) => {
      const abs = posix.resolve(workdir, path);
      if (abs !== workdir && !abs.startsWith(`${workdir}/`)) throw new Error(`${path} is outside WORKDIR ${workdir}: the replay follows only the working directory`);
      return abs.slice(workdir.length + 1);
    };
    for (const i of stage.instructions) {
      const args = i.getArguments().map((a) => a.getValue());
      switch (i.getKeyword()) {
        case 'WORKDIR':
          workdir = posix.resolve(workdir, args[0]!);
          break;
        case 'COPY': {
          const from = (i as Copy).getFromFlag()?.getValue() ?? null;
          const dest = args.at(-1)!;
          const sources = args.slice(0, -1);
          if (from === null) context.copy(sources, dest.endsWith('/') ? inStage(dest) + '/' : inStage(dest), dir);
          else {
            const earlier = done.get(from);
            if (!earlier) throw new Error(`COPY --from=${from}: no such stage before this one`);
            for (const source of sources) {
              const rel = posix.relative(earlier.workdir, source);
              if (rel.startsWith('..')) throw new Error(`COPY --from=${from} ${source}: outside that stage's WORKDIR`);
              const target = join(dir, inStage(dest));
              mkdirSync(dirname(target), { recursive: true });
              cpSync(join(earlier.dir, rel), target, { recursive: true, verbatimSymlinks: true });
            }
          }
          break;
        }
        case 'RUN':
          for (const command of (i.getArgumentsContent() ?? '').replace(/\\\n/g, ' ').split('&&')) runCommand(command.trim().replace(/\s+/g, ' '), dir, skipped);
          break;
        case 'ENV':
          for (const p of (i as Env).getProperties()) env[p.getName()] = p.getValue() ?? '';
          break;
        default:
          // USER, VOLUME, EXPOSE, HEALTHCHECK, ENTRYPOINT, CMD: read by the static checks
          break;
      }
    }
    done.set(stage.name, { dir, workdir, env, skipped });
  }
  return done;
}

/** Every file under `dir` with its size and modification time (symbolic links not followed). */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const full = join(dir, rel);
    const st = lstatSync(full);
    out.set(rel, `${st.size}:${st.mtimeMs}`);
    if (st.isDirectory()) for (const name of readdirSync(full)) walk(rel === '' ? name : `${rel}/${name}`);
  };
  walk('');
  return out;
}
