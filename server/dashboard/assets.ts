import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpReply, HttpRequest } from '../http/types.js';

/**
 * The dashboard's built files (`npm run build` writes them beside this module, in `public/`):
 * read once at start-up and held in memory with the Brotli and gzip variants the build made.
 * uWebSockets.js does not compress, so each request gets the smallest variant its
 * `Accept-Encoding` admits (`Vary: Accept-Encoding`), an ETag per variant and a 304 for a
 * matching `If-None-Match`. Asset names carry their content hash, so they are cached for a year;
 * the HTML shell is revalidated on every load and carries the page's security headers.
 */

export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/** Strict: the page's own script, style, images and same-origin connections (HTTP and WebSocket), nothing else. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
} as const;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

interface Variant {
  readonly body: Buffer;
  readonly etag: string;
}

interface Asset {
  readonly type: string;
  readonly identity: Variant;
  readonly br: Variant | undefined;
  readonly gzip: Variant | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

function variant(body: Buffer, suffix: string): Variant {
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}${suffix}"` };
}

/** Accept-Encoding tokens with a non-zero q value. */
function accepted(header: string | undefined): Set<string> {
  const out = new Set<string>();
  if (!header) return out;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name && (!q || Number(q.slice(2)) > 0)) out.add(name);
  }
  return out;
}

export class DashboardAssets {
  private readonly files = new Map<string, Asset>();

  /** Loads every built file under `dir` (relative paths with `/`); an absent directory loads nothing. */
  constructor(dir: string = PUBLIC_DIR) {
    if (!existsSync(dir)) return;
    const walk = (d: string) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const full = join(d, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile() && !entry.name.endsWith('.br') && !entry.name.endsWith('.gz')) this.load(dir, full);
      }
    };
    walk(dir);
  }

  private load(dir: string, full: string): void {
    const rel = relative(dir, full).split(sep).join('/');
    const ext = rel.slice(rel.lastIndexOf('.'));
    const read = (suffix: string) => (existsSync(full + suffix) ? readFileSync(full + suffix) : undefined);
    const br = read('.br');
    const gz = read('.gz');
    const isShell = rel === 'index.html';
    this.files.set(rel, {
      type: TYPES[ext] ?? 'application/octet-stream',
      identity: variant(readFileSync(full), ''),
      br: br ? variant(br, '-br') : undefined,
      gzip: gz ? variant(gz, '-gz') : undefined,
      headers: isShell ? { 'cache-control': 'no-cache', ...SECURITY_HEADERS } : { 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' },
    });
  }

  get built(): boolean {
    return this.files.has('index.html');
  }

  /** Relative paths of the loaded files (for tests and the start-up log). */
  names(): string[] {
    return [...this.files.keys()].sort();
  }

  /** The reply for `rel` (`index.html`, `static/js/app.1a2b.js`), or undefined when there is no such file. */
  reply(rel: string, req: HttpRequest): HttpReply | undefined {
    const asset = this.files.get(rel);
    if (!asset) return undefined;
    const encodings = accepted(req.headers['accept-encoding']);
    const [chosen, encoding] = asset.br && encodings.has('br') ? [asset.br, 'br'] : asset.gzip && (encodings.has('gzip') || encodings.has('x-gzip')) ? [asset.gzip, 'gzip'] : [asset.identity, undefined];
    const headers: Record<string, string> = { ...asset.headers, etag: chosen.etag, vary: 'accept-encoding' };
    if (encoding) headers['content-encoding'] = encoding;
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === chosen.etag)) {
      return { status: 304, body: '', raw: true, contentType: asset.type, headers };
    }
    return { status: 200, body: chosen.body, raw: true, contentType: asset.type, headers };
  }
}
