import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/**
 * Builds the dashboard's files (part of `npm run build`, after the page's own `tsc` pass):
 *
 * 1. bundles the page's ES modules (compiled to dist/ui-build/) into one script: modules are
 *    concatenated dependencies first, with their `import` lines removed and `export` keywords
 *    dropped. That is all a bundler must do for code written to one rule, which this step
 *    checks: top-level names are unique across the page's modules (they end up in one scope).
 *    One file means one request and no import waterfall on first load;
 * 2. names the script and the style sheet by content hash (cached for a year, never stale);
 * 3. writes the HTML shell that references them;
 * 4. precompresses every file with Brotli (max quality) and gzip (level 9), since the server
 *    does not compress on the fly;
 * 5. fails when the first load (shell + script + style + icon, Brotli) exceeds the 200 KB budget.
 *
 * Output: dist/server/dashboard/public/ — shipped in the npm package with the rest of dist/.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../../..');
const UI_SOURCE = join(REPO, 'server/dashboard/ui');
const COMPILED = join(REPO, 'dist/ui-build');
const ENTRY = join(COMPILED, 'server/dashboard/ui/main.js');
const OUT = join(HERE, 'public');
const BUDGET_BYTES = 200 * 1024;

const IMPORT_LINE = /^import\s+(?:type\s+)?(?:\{[^}]*\}|\*\s+as\s+\w+|\w+)?\s*(?:from\s+)?['"]([^'"]+)['"];?\s*$/gm;
const TOP_LEVEL = /^(?:export\s+)?(?:async\s+)?(?:function\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*)/gm;

interface Module {
  readonly file: string;
  readonly code: string;
  readonly deps: readonly string[];
}

function readModule(file: string): Module {
  const text = readFileSync(file, 'utf8');
  const deps: string[] = [];
  for (const m of text.matchAll(IMPORT_LINE)) {
    const spec = m[1]!;
    if (!spec.startsWith('.')) throw new Error(`${relative(REPO, file)}: only relative imports can be bundled, found '${spec}'`);
    deps.push(resolve(dirname(file), spec));
  }
  if (/\bimport\s*\(/.test(text)) throw new Error(`${relative(REPO, file)}: dynamic import() cannot be bundled`);
  if (/^import\s+\{[^}]*\bas\b/m.test(text)) throw new Error(`${relative(REPO, file)}: renamed imports cannot be bundled`);
  const code = text
    .replace(IMPORT_LINE, '')
    .replace(/^export\s+(?=(?:async\s+)?(?:function|class|const|let|var)\b)/gm, '')
    .replace(/^export\s*\{[^}]*\};?\s*$/gm, '')
    .replace(/^\/\/# sourceMappingURL=.*$/gm, '')
    .trim();
  return { file, code, deps };
}

export function bundle(entry: string): string {
  const order: Module[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (file: string, chain: string[]) => {
    const s = state.get(file);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`import cycle: ${[...chain, file].map((f) => relative(COMPILED, f)).join(' → ')}`);
    state.set(file, 'visiting');
    const mod = readModule(file);
    for (const dep of mod.deps) visit(dep, [...chain, file]);
    state.set(file, 'done');
    order.push(mod);
  };
  visit(entry, []);
  const owner = new Map<string, string>();
  for (const mod of order) {
    for (const m of mod.code.matchAll(TOP_LEVEL)) {
      const name = m[1]!;
      const other = owner.get(name);
      if (other) throw new Error(`top-level name '${name}' is declared in ${relative(COMPILED, other)} and ${relative(COMPILED, mod.file)}: rename one (the bundle has one scope)`);
      owner.set(name, mod.file);
    }
  }
  return `"use strict";\n${order.map((m) => `// ${relative(COMPILED, m.file)}\n${m.code}`).join('\n')}\n`;
}

function hashed(name: string, ext: string, content: string | Buffer): string {
  return `${name}.${createHash('sha256').update(content).digest('hex').slice(0, 10)}${ext}`;
}

function shell(script: string, style: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Constellation Dashboard</title>
<link rel="icon" href="/dashboard/static/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/dashboard/static/css/${style}">
<script type="module" src="/dashboard/static/js/${script}"></script>
</head>
<body>
<noscript>The Constellation dashboard needs JavaScript.</noscript>
</body>
</html>
`;
}

function write(rel: string, content: string | Buffer): { raw: number; br: number; gz: number } {
  const file = join(OUT, rel);
  mkdirSync(dirname(file), { recursive: true });
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const br = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
  const gz = gzipSync(bytes, { level: 9 });
  writeFileSync(file, bytes);
  writeFileSync(`${file}.br`, br);
  writeFileSync(`${file}.gz`, gz);
  return { raw: bytes.length, br: br.length, gz: gz.length };
}

export function buildUi(): { files: Record<string, { raw: number; br: number; gz: number }>; firstLoadBrotli: number; firstLoadGzip: number } {
  if (!existsSync(ENTRY)) throw new Error(`${relative(REPO, ENTRY)} is missing: compile the page first (tsc -p server/dashboard/ui/tsconfig.json)`);
  rmSync(OUT, { recursive: true, force: true });
  const script = bundle(ENTRY);
  const style = readFileSync(join(UI_SOURCE, 'dashboard.css'), 'utf8');
  const icon = readFileSync(join(UI_SOURCE, 'icon.svg'));
  const scriptName = hashed('dashboard', '.js', script);
  const styleName = hashed('dashboard', '.css', style);
  const files = {
    'index.html': write('index.html', shell(scriptName, styleName)),
    [`static/js/${scriptName}`]: write(`static/js/${scriptName}`, script),
    [`static/css/${styleName}`]: write(`static/css/${styleName}`, style),
    'static/assets/icon.svg': write('static/assets/icon.svg', icon),
  };
  const all = Object.values(files);
  const firstLoadBrotli = all.reduce((s, f) => s + f.br, 0);
  const firstLoadGzip = all.reduce((s, f) => s + f.gz, 0);
  if (firstLoadBrotli > BUDGET_BYTES) throw new Error(`the dashboard's first load is ${firstLoadBrotli} bytes compressed, over the ${BUDGET_BYTES}-byte budget`);
  return { files, firstLoadBrotli, firstLoadGzip };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const { files, firstLoadBrotli, firstLoadGzip } = buildUi();
    for (const [name, f] of Object.entries(files)) process.stdout.write(`dashboard: ${name} ${f.raw} B (br ${f.br} B, gzip ${f.gz} B)\n`);
    process.stdout.write(`dashboard: first load ${(firstLoadBrotli / 1024).toFixed(1)} KB brotli, ${(firstLoadGzip / 1024).toFixed(1)} KB gzip (budget 200 KB)\n`);
  } catch (e) {
    process.stderr.write(`dashboard build failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}
