import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * The dashboard's view of the script directory (`CONSTELLATION_CST_DIR`): a tree of `.cst`
 * files and reads of one file by a path relative to the root.
 *
 * Path traversal is impossible by construction: a path is rejected unless it is relative, has
 * no NUL byte, resolves lexically inside the root and — after every symbolic link is followed —
 * still lies inside the root's real path. The tree lists regular files and directories only
 * (symbolic links are skipped, so it cannot loop or wander outside), at most 20 levels deep,
 * without the development directories of the reference's list, and only directories that
 * contain `.cst` files somewhere below.
 */

export const MAX_SCRIPT_BYTES = 10 * 1024 * 1024;
const MAX_DEPTH = 20;
const SKIPPED = new Set(['node_modules', 'dashboard-tests', 'vscode-extension', '.git', 'target', 'out', '.bsp', '.idea', '.vscode', 'project', '.github', 'agents', 'scripts', 'brand']);

export interface FileNode {
  readonly name: string;
  readonly path: string;
  readonly fileType: 'file' | 'directory';
  readonly size: number | null;
  readonly modifiedTime: number | null;
  readonly children: FileNode[] | null;
}

const byName = (a: FileNode, b: FileNode) => {
  if (a.fileType !== b.fileType) return a.fileType === 'directory' ? -1 : 1;
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  return x < y ? -1 : x > y ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
};

export async function listScripts(root: string): Promise<FileNode[]> {
  const walk = async (dir: string, rel: string, depth: number): Promise<FileNode[]> => {
    if (depth > MAX_DEPTH) return [];
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return []; // unreadable: an empty directory
    }
    const out: FileNode[] = [];
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (SKIPPED.has(entry.name)) continue;
        const children = await walk(join(dir, entry.name), path, depth + 1);
        if (children.length > 0) out.push({ name: entry.name, path, fileType: 'directory', size: null, modifiedTime: null, children });
      } else if (entry.isFile() && entry.name.endsWith('.cst')) {
        try {
          const s = await stat(join(dir, entry.name));
          out.push({ name: entry.name, path, fileType: 'file', size: s.size, modifiedTime: Math.floor(s.mtimeMs), children: null });
        } catch {
          // vanished between readdir and stat
        }
      }
    }
    return out.sort(byName);
  };
  return walk(resolve(root), '', 0);
}

export type ScriptRead =
  | { readonly ok: true; readonly path: string; readonly name: string; readonly content: string; readonly lastModified: number }
  | { readonly ok: false; readonly status: 400 | 404 | 500; readonly error: 'invalid_request' | 'not_found' | 'server_error'; readonly message: string };

const invalidPath = { ok: false, status: 400, error: 'invalid_request', message: 'Invalid file path' } as const;

/** The absolute path of `relativePath` under `root`, or undefined when it would leave the root. */
export async function resolveInside(root: string, relativePath: string): Promise<string | undefined> {
  if (relativePath.length === 0 || relativePath.includes('\0') || isAbsolute(relativePath) || /^[a-zA-Z]:/.test(relativePath)) return undefined;
  const base = resolve(root);
  const target = resolve(base, relativePath);
  if (!inside(base, target)) return undefined;
  // follow links: the real file must be inside the real root as well
  let realBase: string;
  try {
    realBase = await realpath(base);
  } catch {
    return undefined;
  }
  try {
    const realTarget = await realpath(target);
    return inside(realBase, realTarget) ? realTarget : undefined;
  } catch {
    // does not exist (yet): the lexical check above is all there is to check; a dangling link is refused
    try {
      await lstat(target);
      return undefined;
    } catch {
      return target;
    }
  }
}

function inside(base: string, target: string): boolean {
  if (target === base) return false;
  const rel = relative(base, target);
  return rel.length > 0 && !isAbsolute(rel) && !rel.split(sep).includes('..');
}

/** Reads a script, with the checks of the file API in order: inside the root, exists, `.cst`, size. */
export async function readScript(root: string, relativePath: string): Promise<ScriptRead> {
  const file = await resolveInside(root, relativePath);
  if (!file) return invalidPath;
  let size: number;
  let mtime: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) return { ok: false, status: 404, error: 'not_found', message: 'File not found' };
    size = s.size;
    mtime = Math.floor(s.mtimeMs);
  } catch {
    return { ok: false, status: 404, error: 'not_found', message: 'File not found' };
  }
  if (!file.endsWith('.cst')) return { ok: false, status: 400, error: 'invalid_request', message: 'Only .cst files are supported' };
  if (size > MAX_SCRIPT_BYTES) return { ok: false, status: 400, error: 'invalid_request', message: 'File exceeds maximum size of 10MB' };
  try {
    const content = await readFile(file, 'utf8');
    const name = file.slice(file.lastIndexOf(sep) + 1);
    return { ok: true, path: relativePath.split(sep).join('/'), name, content, lastModified: mtime };
  } catch (e) {
    return { ok: false, status: 500, error: 'server_error', message: `Cannot read the file: ${e instanceof Error ? e.message : String(e)}` };
  }
}
