import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { generateProgram } from '../../bench/fixtures/generate.js';
import { createServer, type ConstellationServer, type ServerOptions } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { baseEnv, tempDir } from './http.js';

/**
 * A real server for the dashboard's browser tests: a scripts directory with three examples and
 * the generated 1000-node program, a fresh data directory, one worker, and whatever listeners
 * the test attaches (the language server, for one).
 */

const EXAMPLES = fileURLToPath(new URL('../../../examples/pipelines/', import.meta.url));

export interface DashboardServer {
  readonly server: ConstellationServer;
  /** The page's address, `http://127.0.0.1:<port>/dashboard`. */
  readonly url: string;
  /** The server's root, `http://127.0.0.1:<port>`. */
  readonly origin: string;
  stop(): Promise<void>;
}

export async function startDashboardServer(env: Record<string, string> = {}, options: ServerOptions = {}): Promise<DashboardServer> {
  const dataDir = tempDir('constellation-dash-data-');
  const cstDir = tempDir('constellation-dash-cst-');
  for (const f of ['text-stats.cst', 'approval.cst', 'order-pricing.cst']) copyFileSync(join(EXAMPLES, f), join(cstDir, f));
  mkdirSync(join(cstDir, 'generated'));
  writeFileSync(join(cstDir, 'generated', 'nodes-1000.cst'), generateProgram(1000));
  const server = await createServer(loadConfig(baseEnv(dataDir, { CONSTELLATION_WORKERS: '1', CONSTELLATION_CST_DIR: cstDir, ...env })), options);
  const origin = `http://127.0.0.1:${server.port}`;
  return {
    server,
    url: `${origin}/dashboard`,
    origin,
    stop: async () => {
      await server.shutdown();
      for (const d of [dataDir, cstDir]) rmSync(d, { recursive: true, force: true });
    },
  };
}

export async function openDashboard(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
}

/** Opens the dashboard of a server with API keys and answers the page's key prompt with `key`. */
export async function openDashboardWithKey(page: Page, url: string, key: string): Promise<void> {
  await page.goto(url); // the shell itself is public
  await page.waitForSelector('#api-key-dialog[open]');
  await page.fill('#api-key-input', key);
  await page.click('#api-key-submit');
  await page.waitForSelector('body[data-ready="true"]');
}
