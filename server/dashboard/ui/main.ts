import { call, setKeyPrompt } from './api.js';
import { DagView } from './dag-view.js';
import { HistoryView } from './history-view.js';
import { LspClient } from './lsp-client.js';
import { PipelinesView } from './pipelines-view.js';
import { ScriptsView } from './scripts-view.js';
import { Shell, type ViewName } from './shell.js';

/**
 * The dashboard page: builds the frame and the three views, routes by hash (`#/history`,
 * `#/pipelines`, `#/executions/<id>`, empty = Scripts; back/forward work), watches the server
 * connection, and connects the language server when the server has one.
 */

const HEALTH_POLL_MS = 15_000;
const LSP_RETRY_FIRST_MS = 1000;
const LSP_RETRY_MAX_MS = 30_000;

function start(): void {
  const dag = new DagView();
  let scripts: ScriptsView;
  let history: HistoryView;
  let pipelines: PipelinesView;
  const navigate = (view: ViewName) => {
    const hash = view === 'scripts' ? '#/' : `#/${view}`;
    if (location.hash !== hash) location.hash = hash;
    else void route();
  };
  const refresh = () => {
    if (shell.view === 'scripts') void scripts.refresh();
    else if (shell.view === 'history') void history.refresh();
    else void pipelines.refresh();
  };
  const shell = new Shell(navigate, refresh);
  setKeyPrompt((reason) => shell.askKey(reason));
  scripts = new ScriptsView(shell, dag);
  history = new HistoryView(shell, dag);
  pipelines = new PipelinesView(shell);
  shell.views.append(scripts.element, history.element, pipelines.element);
  document.body.replaceChildren(shell.element);

  let current: ViewName | undefined;
  const route = async () => {
    const hash = location.hash.replace(/^#\/?/, '');
    const execution = /^executions\/(.+)$/.exec(hash);
    const view: ViewName = execution || hash === 'history' ? 'history' : hash === 'pipelines' ? 'pipelines' : 'scripts';
    const changed = view !== current;
    current = view;
    shell.select(view);
    pipelines.setActive(view === 'pipelines');
    if (view === 'scripts') {
      if (changed) scripts.attachDag();
    } else if (view === 'history') {
      if (changed) history.attachDag();
      await history.refresh();
      if (execution) await history.select(decodeURIComponent(execution[1]!));
    } else {
      await pipelines.refresh();
    }
  };
  window.addEventListener('hashchange', () => void route());

  const health = async () => {
    try {
      const r = await fetch('/health', { cache: 'no-store' });
      shell.connected(r.ok, r.ok ? '' : `health: HTTP ${r.status}`);
    } catch {
      shell.connected(false);
    }
  };
  void health();
  window.setInterval(() => void health(), HEALTH_POLL_MS);

  void (async () => {
    shell.loading(true);
    let lspAvailable = false;
    try {
      const status = await call<{ features?: { lsp?: boolean } }>('GET', '/api/v1/status');
      lspAvailable = status.status === 200 && !!status.body.features?.lsp;
      await route();
      await scripts.refresh();
    } catch (e) {
      shell.notify(e instanceof Error ? e.message : String(e), 'error');
    } finally {
      shell.loading(false);
      document.body.dataset['ready'] = 'true';
    }
    // in the background: the page works on the preview until (unless) the language server answers
    if (lspAvailable) void connectLanguageServer(0);
  })();

  /**
   * Connects the editor to `/lsp`, and again whenever the socket closes (a restarted or drained
   * server, a proxy's timeout): the preview's diagnostics stand in meanwhile. Failed attempts back
   * off from LSP_RETRY_FIRST_MS to LSP_RETRY_MAX_MS.
   */
  async function connectLanguageServer(failures: number): Promise<void> {
    const lsp = new LspClient();
    const retry = (n: number) => window.setTimeout(() => void connectLanguageServer(n), Math.min(LSP_RETRY_MAX_MS, LSP_RETRY_FIRST_MS * 2 ** n));
    if (await lsp.connect()) scripts.useLanguageServer(lsp, () => retry(0));
    else retry(failures + 1);
  }
}

start();
