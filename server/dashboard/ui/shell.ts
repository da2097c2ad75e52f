import { storeKey } from './api.js';
import { h } from './dom.js';

/**
 * The page frame: header (title, the three view tabs, refresh, status message, server
 * connection), the loading overlay, and the API-key dialog.
 */

export type ViewName = 'scripts' | 'history' | 'pipelines';

export class Shell {
  readonly element: HTMLDivElement;
  readonly views: HTMLElement;
  view: ViewName = 'scripts';
  private readonly status: HTMLSpanElement;
  private readonly connection: HTMLSpanElement;
  private readonly overlay: HTMLDivElement;
  private readonly keyDialog: HTMLDialogElement;
  private readonly keyInput: HTMLInputElement;
  private readonly keyRemember: HTMLInputElement;
  private readonly keyReason: HTMLParagraphElement;
  private loadingCount = 0;
  private statusTimer: number | undefined;

  constructor(onNavigate: (view: ViewName) => void, onRefresh: () => void) {
    const tab = (view: ViewName, label: string) =>
      h('button', { type: 'button', class: 'nav-btn', 'data-view': view, role: 'tab', 'aria-selected': 'false', onclick: () => onNavigate(view) }, label);
    this.status = h('span', { id: 'status-message', class: 'status-message', role: 'status', 'aria-live': 'polite' });
    this.connection = h('span', { id: 'connection-status', class: 'connection-status', title: 'Server connection' }, 'connecting…');
    this.views = h('main', { class: 'views' });
    this.overlay = h('div', { id: 'loading-overlay', class: 'loading-overlay', hidden: true, 'aria-hidden': 'true' }, h('div', { class: 'spinner' }));
    this.keyInput = h('input', { id: 'api-key-input', type: 'password', autocomplete: 'off', required: true, 'aria-label': 'API key' });
    this.keyRemember = h('input', { id: 'api-key-remember', type: 'checkbox' });
    this.keyReason = h('p', { class: 'key-reason' });
    this.keyDialog = h(
      'dialog',
      { id: 'api-key-dialog', class: 'key-dialog', 'aria-label': 'API key' },
      h(
        'form',
        { method: 'dialog', id: 'api-key-form' },
        h('h3', {}, 'API key'),
        this.keyReason,
        h('label', { for: 'api-key-input' }, 'Key'),
        this.keyInput,
        h('label', { class: 'check' }, this.keyRemember, 'Remember on this device'),
        h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', value: 'cancel', formnovalidate: true, class: 'tool-btn', id: 'api-key-cancel' }, 'Cancel'), h('button', { type: 'submit', value: 'ok', class: 'primary-btn', id: 'api-key-submit' }, 'Use key')),
      ),
    );
    this.element = h(
      'div',
      { class: 'app' },
      h(
        'header',
        { class: 'app-header' },
        h('span', { class: 'brand' }, h('span', { class: 'brand-mark' }, '✦'), 'Constellation'),
        h('nav', { class: 'nav', role: 'tablist', 'aria-label': 'Views' }, tab('scripts', 'Scripts'), tab('history', 'History'), tab('pipelines', 'Pipelines')),
        h('button', { id: 'refresh-btn', type: 'button', class: 'tool-btn', title: 'Refresh this view', onclick: onRefresh }, '⟳ Refresh'),
        this.status,
        h('span', { class: 'spacer' }),
        this.connection,
      ),
      this.views,
      this.overlay,
      this.keyDialog,
    );
  }

  select(view: ViewName): void {
    this.view = view;
    for (const btn of this.element.querySelectorAll<HTMLButtonElement>('.nav-btn')) {
      const on = btn.dataset['view'] === view;
      btn.classList.toggle('active', on);
      btn.setAttribute('aria-selected', String(on));
    }
    for (const el of this.views.children) (el as HTMLElement).hidden = el.id !== `view-${view}`;
  }

  notify(text: string, kind: 'ok' | 'error' | 'info' = 'info'): void {
    this.status.textContent = text;
    this.status.className = `status-message status-${kind}`;
    window.clearTimeout(this.statusTimer);
    this.statusTimer = window.setTimeout(() => (this.status.textContent = ''), kind === 'error' ? 10_000 : 4000);
  }

  loading(on: boolean): void {
    this.loadingCount = Math.max(0, this.loadingCount + (on ? 1 : -1));
    this.overlay.hidden = this.loadingCount === 0;
  }

  connected(up: boolean, detail = ''): void {
    this.connection.textContent = up ? 'connected' : 'disconnected';
    this.connection.className = `connection-status ${up ? 'up' : 'down'}`;
    this.connection.title = detail || (up ? 'The server answers' : 'The server does not answer');
  }

  /** Asks for an API key; resolves with it (stored), or null when cancelled. */
  askKey(reason: string): Promise<string | null> {
    this.keyReason.textContent = reason;
    this.keyInput.value = '';
    return new Promise((resolve) => {
      this.keyDialog.addEventListener(
        'close',
        () => {
          const key = this.keyDialog.returnValue === 'ok' ? this.keyInput.value.trim() : '';
          if (!key) {
            resolve(null);
            return;
          }
          storeKey(key, this.keyRemember.checked);
          resolve(key);
        },
        { once: true },
      );
      this.keyDialog.showModal();
      this.keyInput.focus();
    });
  }
}
