import { describeError, get } from './api.js';
import { h } from './dom.js';

/**
 * The module catalogue (`GET /api/v1/modules`): search by name or description; choosing a module
 * inserts a call template (`Name(param1, param2)`) into the editor.
 */

interface ModuleInfo {
  readonly name: string;
  readonly description: string;
  readonly version: string;
  readonly inputs: Record<string, string>;
  readonly outputs: Record<string, string>;
}

export class ModuleBrowser {
  readonly element: HTMLDialogElement;
  private readonly search: HTMLInputElement;
  private readonly list: HTMLUListElement;
  private modules: ModuleInfo[] = [];

  constructor(private readonly insert: (text: string) => void) {
    this.search = h('input', { id: 'module-search', type: 'search', placeholder: 'Search modules', 'aria-label': 'Search modules', oninput: () => this.draw() });
    this.list = h('ul', { id: 'module-list', class: 'module-list' });
    this.element = h(
      'dialog',
      { id: 'module-browser', class: 'module-browser', 'aria-label': 'Modules' },
      h('div', { class: 'dialog-head' }, h('h3', {}, 'Modules'), h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close', onclick: () => this.element.close() }, '×')),
      this.search,
      this.list,
    );
  }

  async show(): Promise<void> {
    this.element.showModal();
    this.search.focus();
    if (this.modules.length > 0) return;
    try {
      const answer = await get<{ modules: ModuleInfo[] }>('/api/v1/modules');
      this.modules = [...answer.modules].sort((a, b) => a.name.localeCompare(b.name));
    } catch (e) {
      this.list.replaceChildren(h('li', { class: 'error-line' }, describeError(e)));
      return;
    }
    this.draw();
  }

  private draw(): void {
    const q = this.search.value.trim().toLowerCase();
    const shown = this.modules.filter((m) => !q || m.name.toLowerCase().includes(q) || m.description.toLowerCase().includes(q)).slice(0, 200);
    this.list.replaceChildren(
      ...shown.map((m) => {
        const params = Object.keys(m.inputs);
        const signature = `${m.name}(${params.map((p) => `${p}: ${m.inputs[p]}`).join(', ')}) → ${Object.values(m.outputs).join(', ')}`;
        return h(
          'li',
          {},
          h('button', { type: 'button', class: 'module-item', onclick: () => (this.element.close(), this.insert(`${m.name}(${params.join(', ')})`)) }, h('span', { class: 'module-name' }, m.name), h('span', { class: 'module-version' }, `v${m.version}`), h('code', { class: 'module-signature' }, signature), h('span', { class: 'module-description' }, m.description)),
        );
      }),
    );
  }
}
