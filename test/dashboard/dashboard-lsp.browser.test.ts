import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { LspListener } from '../../server/lsp/listener.js';
import { loadLspSettings } from '../../server/lsp/settings.js';
import { launchChromium, screenshot, watchConsole, type ConsoleWatch } from '../helpers/browser.js';
import { openDashboard, openDashboardWithKey, startDashboardServer, type DashboardServer } from '../helpers/dashboard.js';
import { API_KEYS_ENV, KEYS } from '../helpers/http.js';
import { freePort } from '../helpers/nats.js';

/**
 * The dashboard's editor against a real server with the language server at `/lsp`: the LSP's
 * diagnostics (with their codes) appear as the user types, completion inside a call name, hover
 * with a name's type; and the same with API keys, where the key typed into the page's prompt
 * reaches `/lsp` as a WebSocket subprotocol value, or as `?token=` when it is no protocol token.
 * Every wait is for a condition on the page; screenshots go to test-artifacts/.
 */

/** A key the page cannot offer as a subprotocol ('/', '+', '='): it goes as `?token=`. */
const QUERY_KEY = 'query/key+with=chars-0123456789';

async function startWithLsp(env: Record<string, string> = {}): Promise<{ running: DashboardServer; lsp: LspListener }> {
  const lsp = new LspListener(loadLspSettings({ CONSTELLATION_LSP_DEBOUNCE: '20ms' }));
  return { running: await startDashboardServer(env, { listeners: [lsp] }), lsp };
}

// (page functions cast: this file is compiled without the DOM's types)

/** The editor's text. */
function editorText(page: Page): Promise<string> {
  return page.inputValue('#code-editor');
}

/** Offset of `needle` in the editor's text, plus `delta`. */
async function offsetOf(page: Page, needle: string, delta = 0): Promise<number> {
  const at = (await editorText(page)).indexOf(needle);
  assert.ok(at >= 0, `'${needle}' is not in the editor`);
  return at + delta;
}

/** Selects [start, end) in the editor (a caret when they are equal), focused. */
async function select(page: Page, start: number, end = start): Promise<void> {
  await page.evaluate(
    ([a, b]) => {
      const t = (globalThis as any).document.getElementById('code-editor');
      t.focus();
      t.setSelectionRange(a, b);
    },
    [start, end] as const,
  );
}

/** Moves the mouse onto the character at `offset` (its box in the editor's colour layer, which the textarea overlays exactly). */
async function hoverOffset(page: Page, offset: number): Promise<void> {
  const point = await page.evaluate((target) => {
    const doc = (globalThis as any).document;
    const layer = doc.querySelector('.editor-colours');
    const walker = doc.createTreeWalker(layer, 4 /* NodeFilter.SHOW_TEXT */);
    for (let node = walker.nextNode(), at = 0; node; at += node.textContent.length, node = walker.nextNode()) {
      if (target >= at + node.textContent.length) continue;
      const range = doc.createRange();
      range.setStart(node, target - at);
      range.setEnd(node, target - at + 1);
      const box = range.getBoundingClientRect();
      return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
    }
    return null;
  }, offset);
  assert.ok(point, `no character at offset ${offset}`);
  await page.mouse.move(point.x, point.y);
}

/** Opens text-stats.cst with the language server connected. */
async function openTextStats(page: Page, watch: ConsoleWatch): Promise<void> {
  watch.expectHttpError('/api/v1/preview', 400); // the preview of a broken script answers 400
  await page.click('[data-path="text-stats.cst"]');
  await page.waitForSelector('#current-file:text("text-stats.cst")');
  await page.waitForSelector('#lsp-status.on');
}

/** Types `s` after `Trim(document`; the server's diagnostic E001 (undeclared name) appears in the list under the editor. */
async function typeUndeclaredName(page: Page): Promise<void> {
  await select(page, await offsetOf(page, 'Trim(document)', 'Trim(document'.length));
  await page.keyboard.type('s');
  await page.locator('#error-panel .diagnostic[data-code="E001"]').waitFor();
}

/**
 * The user's session with the language server: break a name and see the LSP's diagnostic with
 * its code (in the list under the editor and on hover), fix it; complete a half-typed call name,
 * then an option name typed a moment before; hover a variable and see its type.
 */
async function editWithLanguageServer(page: Page, watch: ConsoleWatch, shot: string): Promise<void> {
  await openTextStats(page, watch);
  await page.waitForSelector('#dag-canvas g.node[data-kind="Output"]');

  // an error typed into the editor: `Trim(document)` becomes `Trim(documents)`
  await typeUndeclaredName(page);
  const diagnostic = page.locator('#error-panel .diagnostic[data-code="E001"]');
  assert.match((await diagnostic.textContent()) ?? '', /documents/);
  await page.waitForSelector('.squiggle-error');
  // the underlined name's hover shows the diagnostic with its code and the server's explanation of it
  await hoverOffset(page, await offsetOf(page, 'documents)', 2));
  const hover = page.locator('.editor-hover:not([hidden])');
  await hover.waitFor();
  const hoverText = (await hover.textContent()) ?? '';
  assert.match(hoverText, /E001/);
  assert.match(hoverText, /Declare it as an input/, 'the explanation the language server adds to the compiler message');
  await screenshot(page, `${shot}-diagnostic`);
  // fixed: the diagnostic goes
  await page.keyboard.press('Backspace');
  await page.waitForSelector('#error-panel', { state: 'hidden' });
  await page.waitForSelector('.squiggle', { state: 'detached' });

  // completion inside a call name: `Lowercase` cut to `Lowerc`, the caret between `Lower` and `c`
  const name = await offsetOf(page, 'Lowercase(cleaned)');
  await select(page, name + 'Lowerc'.length, name + 'Lowercase'.length);
  await page.keyboard.press('Backspace');
  await page.keyboard.press('ArrowLeft');
  await page.locator('#error-panel .diagnostic[data-code="E002"]').waitFor(); // no function `Lowerc`
  await page.keyboard.press('Control+Space');
  const item = page.locator('.editor-completions:not([hidden]) li', { has: page.locator('.completion-label', { hasText: /^Lowercase$/ }) });
  await item.waitFor();
  await screenshot(page, `${shot}-completion`);
  await item.click();
  await page.waitForSelector('.editor-completions', { state: 'hidden' });
  assert.match(await editorText(page), /^normalized = Lowercase\(cleaned\)$/m);
  await page.waitForSelector('#error-panel', { state: 'hidden' });
  // asked at once after typing, completion sees the typed text (the client sends it first): `with` offers the call options
  await select(page, await offsetOf(page, 'WordCount(normalized)', 'WordCount(normalized)'.length));
  await page.keyboard.type(' with ret');
  await page.keyboard.press('Control+Space');
  await page.locator('.editor-completions:not([hidden]) li.selected .completion-label', { hasText: /^retry$/ }).waitFor();
  await page.keyboard.press('Enter');
  assert.match(await editorText(page), /^words = WordCount\(normalized\) with retry: 3$/m);
  await page.waitForSelector('#error-panel', { state: 'hidden' });

  // hover a variable: its type
  await hoverOffset(page, await offsetOf(page, 'Lowercase(cleaned)', 'Lowercase(c'.length));
  await page.waitForSelector('.editor-hover:not([hidden]):has-text("cleaned: String")');
  await screenshot(page, `${shot}-hover`);
}

describe('dashboard with the language server', () => {
  let browser: Browser;
  let running: DashboardServer;
  let lsp: LspListener;

  before(async () => {
    let started;
    [browser, started] = await Promise.all([launchChromium(), startWithLsp()]);
    ({ running, lsp } = started);
  });
  after(async () => {
    await browser?.close();
    await running?.stop();
  });

  test('status reports /lsp; diagnostics with codes, completion and hover come from it', async () => {
    const status = (await (await fetch(`${running.origin}/api/v1/status`)).json()) as { features: { lsp: boolean } };
    assert.equal(status.features.lsp, true);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const watch = watchConsole(page);
    await openDashboard(page, running.url);
    await editWithLanguageServer(page, watch, '09-lsp');
    assert.equal(lsp.connections, 1);
    assert.deepEqual(watch.problems, []);
    await page.close();
  });
});

describe('dashboard with the language server and API keys', () => {
  let browser: Browser;
  let running: DashboardServer;

  before(async () => {
    let started;
    [browser, started] = await Promise.all([launchChromium(), startWithLsp({ CONSTELLATION_API_KEYS: `${API_KEYS_ENV},${QUERY_KEY}:Execute` })]);
    ({ running } = started);
  });
  after(async () => {
    await browser?.close();
    await running?.stop();
  });

  /** A fresh page (no stored key) that answers the key prompt with `key`. */
  async function openWithKey(key: string): Promise<{ page: Page; watch: ConsoleWatch }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const watch = watchConsole(page);
    watch.expectHttpError('/api/v1/status', 401); // the first call, before the key is known
    await openDashboardWithKey(page, running.url, key);
    return { page, watch };
  }

  test('the key from the prompt reaches /lsp as a subprotocol value', async () => {
    const status = await fetch(`${running.origin}/api/v1/status`, { headers: { authorization: `Bearer ${KEYS.readonly}` } });
    assert.equal(((await status.json()) as { features: { lsp: boolean } }).features.lsp, true);
    const { page, watch } = await openWithKey(KEYS.execute);
    await editWithLanguageServer(page, watch, '10-lsp-api-key');
    assert.deepEqual(watch.problems, []);
    await page.close();
  });

  test('a key that is no protocol token reaches /lsp as ?token=', async () => {
    const { page, watch } = await openWithKey(QUERY_KEY);
    await openTextStats(page, watch);
    await typeUndeclaredName(page);
    assert.deepEqual(watch.problems, []);
    await page.close();
  });
});

describe('dashboard when its server restarts', () => {
  test('the editor reconnects to /lsp on the restarted server, and its diagnostics come from the language server again', async () => {
    const browser = await launchChromium();
    // a port of its own from the start: uWS marks a fixed port's socket reusable (as in production),
    // so the restarted server binds it while the first one's connections linger in TIME_WAIT
    const port = await freePort();
    const first = await startWithLsp({ CONSTELLATION_PORT: String(port) });
    let second: { running: DashboardServer; lsp: LspListener } | undefined;
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const watch = watchConsole(page);
      await openDashboard(page, first.running.url);
      await openTextStats(page, watch);
      await first.running.stop(); // its sockets close: the page falls back to the preview
      await page.waitForSelector('#lsp-status:not(.on)', { state: 'attached' });
      second = await startWithLsp({ CONSTELLATION_PORT: String(port) });
      await page.waitForSelector('#lsp-status.on', { timeout: 60_000 });
      assert.equal(second.lsp.connections, 1);
      await typeUndeclaredName(page);
      // requests and sockets failed while no server listened; nothing on the page threw
      assert.deepEqual(watch.problems.filter((p) => p.startsWith('uncaught')), []);
      await page.close();
    } finally {
      await browser.close();
      await second?.running.stop();
    }
  });
});
