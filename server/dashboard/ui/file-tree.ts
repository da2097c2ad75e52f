import { h } from './dom.js';

/**
 * The script tree (`GET /api/v1/files`): folders first, expandable; a file opens on click or
 * Enter. Keyboard: ↑/↓ move, → opens a folder, ← closes it (or goes to its parent), Enter
 * selects or toggles.
 */

export interface FileNode {
  readonly name: string;
  readonly path: string;
  readonly fileType: 'file' | 'directory';
  readonly children: FileNode[] | null;
}

export class FileTree {
  readonly element: HTMLUListElement;
  private readonly collapsed = new Set<string>();
  private files: FileNode[] = [];
  private selected: string | undefined;

  constructor(id: string, private readonly onOpen: (path: string) => void) {
    this.element = h('ul', { id, class: 'file-tree', role: 'tree', 'aria-label': 'Scripts' });
    this.element.addEventListener('keydown', (e) => this.keydown(e));
  }

  setFiles(files: FileNode[], selected?: string): void {
    this.files = files;
    this.selected = selected;
    this.draw();
  }

  select(path: string): void {
    this.selected = path;
    for (const li of this.element.querySelectorAll<HTMLElement>('[data-path]')) {
      const on = li.dataset['path'] === path;
      li.classList.toggle('selected', on);
      li.setAttribute('aria-selected', String(on));
    }
  }

  private draw(): void {
    const build = (nodes: FileNode[], depth: number): HTMLElement[] =>
      nodes.flatMap((node) => {
        const isDir = node.fileType === 'directory';
        const open = isDir && !this.collapsed.has(node.path);
        const item = h(
          'li',
          {
            role: 'treeitem',
            class: `tree-item ${isDir ? 'tree-dir' : 'tree-file'}${node.path === this.selected ? ' selected' : ''}`,
            'data-path': node.path,
            'data-type': node.fileType,
            'aria-level': depth + 1,
            'aria-expanded': isDir ? String(open) : null,
            'aria-selected': isDir ? null : String(node.path === this.selected),
            tabindex: -1,
            onclick: () => (isDir ? this.toggle(node.path) : this.onOpen(node.path)),
          },
          h('span', { class: `tree-indent depth-${Math.min(depth, 12)}` }),
          h('span', { class: 'tree-icon' }, isDir ? (open ? '▾' : '▸') : '·'),
          node.name,
        );
        return [item, ...(open && node.children ? build(node.children, depth + 1) : [])];
      });
    const items = build(this.files, 0);
    this.element.replaceChildren(...(items.length ? items : [h('li', { class: 'muted' }, 'No .cst files in the script directory.')]));
    const focusable = this.element.querySelector<HTMLElement>('.selected') ?? this.element.querySelector<HTMLElement>('[data-path]');
    if (focusable) focusable.tabIndex = 0;
  }

  private toggle(path: string): void {
    if (this.collapsed.has(path)) this.collapsed.delete(path);
    else this.collapsed.add(path);
    this.draw();
    this.element.querySelector<HTMLElement>(`[data-path="${CSS.escape(path)}"]`)?.focus();
  }

  private keydown(e: KeyboardEvent): void {
    const items = [...this.element.querySelectorAll<HTMLElement>('[data-path]')];
    const current = document.activeElement instanceof HTMLElement ? items.indexOf(document.activeElement) : -1;
    const focus = (i: number) => {
      const el = items[Math.max(0, Math.min(items.length - 1, i))];
      if (!el) return;
      items.forEach((x) => (x.tabIndex = -1));
      el.tabIndex = 0;
      el.focus();
    };
    const el = items[current];
    switch (e.key) {
      case 'ArrowDown': e.preventDefault(); focus(current + 1); break;
      case 'ArrowUp': e.preventDefault(); focus(current - 1); break;
      case 'Enter': case ' ':
        if (el) {
          e.preventDefault();
          el.click();
        }
        break;
      case 'ArrowRight':
        if (el?.dataset['type'] === 'directory' && this.collapsed.has(el.dataset['path']!)) this.toggle(el.dataset['path']!);
        break;
      case 'ArrowLeft':
        if (el?.dataset['type'] === 'directory' && !this.collapsed.has(el.dataset['path']!)) this.toggle(el.dataset['path']!);
        else if (el) {
          const parent = el.dataset['path']!.split('/').slice(0, -1).join('/');
          const i = items.findIndex((x) => x.dataset['path'] === parent);
          if (i >= 0) focus(i);
        }
        break;
    }
  }
}
