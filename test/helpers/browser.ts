import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

/**
 * Real Chromium from Debian (/usr/bin/chromium) driven by playwright-core, for the dashboard's
 * browser tests and benchmark. test/run.sh installs the package when it is missing; a direct
 * run of one test file does the same through `ensureChromium`.
 *
 * `watchConsole` collects what would be a defect in the page: uncaught errors and console
 * errors, except network errors of requests the test expects to fail (a preview of a script
 * with errors answers 400; Chromium logs every 4xx as a console error).
 */

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const run = (args: string[]) => spawnSync(sudo[0] ?? args[0]!, sudo.length ? args : args.slice(1), { stdio: 'inherit' });
  run(['apt-get', 'install', '-y', '-qq', 'chromium']);
  if (!existsSync(CHROMIUM)) {
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', 'chromium']);
  }
  if (!existsSync(CHROMIUM)) throw new Error('the dashboard tests need Chromium: apt-get install -y chromium');
}

export async function launchChromium(): Promise<Browser> {
  ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export interface ConsoleWatch {
  readonly problems: string[];
  /** A network error for a URL ending in `suffix` with this status is expected from now on. */
  expectHttpError(suffix: string, status: number): void;
}

export function watchConsole(page: Page): ConsoleWatch {
  const problems: string[] = [];
  const expected: { suffix: string; status: number }[] = [];
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    const url = m.location().url ?? '';
    const status = /status of (\d{3})/.exec(text);
    if (status && expected.some((e) => url.endsWith(e.suffix) && Number(status[1]) === e.status)) return;
    problems.push(`console: ${text} (${url})`);
  });
  return { problems, expectHttpError: (suffix, status) => expected.push({ suffix, status }) };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}${name}.png`;
  await page.screenshot({ path });
  return path;
}
