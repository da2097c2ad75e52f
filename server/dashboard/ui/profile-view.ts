import { formatDuration, h } from './dom.js';

/**
 * The performance profile of the last run: one bar per module call on a shared time axis
 * (from its `module:start` to its `module:complete`/`module:failed` event), sortable by start,
 * duration or name.
 */

export interface ProfileEntry {
  readonly id: string;
  readonly name: string;
  readonly start: number;
  end: number | null;
  status: 'Running' | 'Completed' | 'Failed';
}

type SortKey = 'start' | 'duration' | 'name';

export class ProfileView {
  readonly element: HTMLDivElement;
  private entries: ProfileEntry[] = [];
  private sort: SortKey = 'start';

  constructor() {
    this.element = h('div', { id: 'profile-view', class: 'profile-view', hidden: true });
  }

  show(entries: readonly ProfileEntry[]): void {
    this.entries = [...entries];
    this.draw();
  }

  toggle(): void {
    this.element.hidden = !this.element.hidden;
    if (!this.element.hidden) this.draw();
  }

  private draw(): void {
    if (this.element.hidden) return;
    const known = this.entries.filter((e) => e.end !== null);
    if (known.length === 0) {
      this.element.replaceChildren(h('p', { class: 'muted' }, 'No module timings: run the script (module calls are timed from the live events).'));
      return;
    }
    const t0 = Math.min(...known.map((e) => e.start));
    const span = Math.max(1, Math.max(...known.map((e) => e.end!)) - t0);
    const duration = (e: ProfileEntry) => e.end! - e.start;
    const sorted = [...known].sort((a, b) => (this.sort === 'name' ? a.name.localeCompare(b.name) : this.sort === 'duration' ? duration(b) - duration(a) : a.start - b.start));
    const sortButton = (key: SortKey, label: string) =>
      h('button', { type: 'button', class: `tool-btn${this.sort === key ? ' active' : ''}`, 'data-sort': key, onclick: () => ((this.sort = key), this.draw()) }, label);
    this.element.replaceChildren(
      h('div', { class: 'profile-head' }, h('span', { class: 'muted' }, `${known.length} module calls over ${formatDuration(span)} · sort:`), sortButton('start', 'start'), sortButton('duration', 'duration'), sortButton('name', 'name')),
      ...sorted.map((e) => {
        const bar = h('span', { class: `profile-bar profile-${e.status.toLowerCase()}` });
        // geometry through the CSSOM (the CSP forbids style attributes, not style properties)
        bar.style.marginLeft = `${((e.start - t0) / span) * 100}%`;
        bar.style.width = `${Math.max(0.5, (duration(e) / span) * 100)}%`;
        return h('div', { class: 'profile-row', 'data-node-id': e.id }, h('span', { class: 'profile-name' }, e.name), h('span', { class: 'profile-track' }, bar), h('span', { class: 'profile-ms' }, formatDuration(duration(e))));
      }),
    );
  }
}
