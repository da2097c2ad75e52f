import type { DagVizIR } from '../../../runtime/viz/types.js';
import { call, describeError, get } from './api.js';
import type { DagView } from './dag-view.js';
import { debounce, formatDuration, formatTime, h, setChildren } from './dom.js';
import type { Shell } from './shell.js';
import { inspectValue } from './value-inspector.js';

/**
 * The History view: stored runs newest first (filter by script path, debounced 300 ms), the
 * detail of one run (inputs, outputs, timing, per-node results, error) and its stored graph
 * with every node's state. `#/executions/<id>` opens a run directly.
 */

interface Summary {
  executionId: string;
  dagName: string;
  scriptPath: string | null;
  startTime: number;
  endTime: number | null;
  status: string;
  source: string;
  nodeCount: number;
  outputPreview: string | null;
}

interface StoredRun {
  executionId: string;
  dagName: string;
  scriptPath: string | null;
  startTime: number;
  endTime: number | null;
  inputs: { [k: string]: unknown };
  outputs: { [k: string]: unknown } | null;
  status: string;
  nodeResults: { [id: string]: { nodeId: string; status: string; durationMs?: number; error?: string } };
  dagVizIR: DagVizIR | null;
  source: string;
  error: string | null;
}

export class HistoryView {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly filter: HTMLInputElement;
  private readonly detail: HTMLDivElement;
  private readonly dagSlot: HTMLDivElement;
  private selected: string | undefined;
  private graph: DagVizIR | undefined;

  constructor(private readonly shell: Shell, private readonly dag: DagView) {
    this.list = h('ul', { id: 'history-list', class: 'history-list', 'aria-label': 'Executions' });
    const filtered = debounce(300, () => void this.refresh());
    this.filter = h('input', { id: 'history-filter', type: 'search', placeholder: 'Filter by script path', 'aria-label': 'Filter by script path', oninput: () => filtered() });
    this.detail = h('div', { id: 'execution-detail', class: 'execution-detail' }, h('p', { class: 'muted' }, 'Select a run to see its details.'));
    this.dagSlot = h('div', { class: 'dag-slot', id: 'history-dag-slot' });
    this.element = h(
      'section',
      { id: 'view-history', class: 'view view-history', hidden: true },
      h('aside', { class: 'history-side' }, h('div', { class: 'panel-title' }, 'Executions'), this.filter, this.list),
      h('div', { class: 'history-main' }, this.detail, this.dagSlot),
    );
  }

  attachDag(): void {
    this.dagSlot.append(this.dag.element);
    this.dag.render(this.graph);
  }

  async refresh(): Promise<void> {
    const script = this.filter.value.trim();
    try {
      const answer = await get<{ executions: Summary[]; total: number }>(`/api/v1/executions?limit=50${script ? `&script=${encodeURIComponent(script)}` : ''}`);
      this.list.replaceChildren(
        ...(answer.executions.length === 0 ? [h('li', { class: 'muted' }, script ? 'No runs of a matching script.' : 'No runs yet.')] : []),
        ...answer.executions.map((e) =>
          h(
            'li',
            {},
            h(
              'button',
              { type: 'button', class: `history-item${e.executionId === this.selected ? ' selected' : ''}`, 'data-execution-id': e.executionId, onclick: () => void this.select(e.executionId) },
              h('span', { class: 'history-name' }, e.dagName),
              h('span', { class: `badge badge-${e.status.toLowerCase()}` }, e.status),
              h('span', { class: 'history-path' }, e.scriptPath ?? ''),
              h('span', { class: 'history-time' }, `${formatTime(e.startTime)} · ${formatDuration(e.endTime !== null ? e.endTime - e.startTime : null)}`),
              e.outputPreview ? h('span', { class: 'history-preview' }, e.outputPreview) : null,
            ),
          ),
        ),
      );
    } catch (e) {
      this.shell.notify(`Cannot load the history: ${describeError(e)}`, 'error');
    }
  }

  async select(executionId: string): Promise<void> {
    this.selected = executionId;
    for (const b of this.list.querySelectorAll<HTMLElement>('.history-item')) b.classList.toggle('selected', b.dataset['executionId'] === executionId);
    const r = await call<StoredRun>('GET', `/api/v1/executions/${encodeURIComponent(executionId)}`);
    if (r.status !== 200) {
      this.detail.replaceChildren(h('p', { class: 'error-line' }, `Execution ${executionId} not found`));
      this.graph = undefined;
      this.dag.render(undefined);
      return;
    }
    const e = r.body;
    const nodes = Object.values(e.nodeResults);
    setChildren(this.detail, 
      h('div', { class: 'detail-head' }, h('h3', {}, e.dagName), h('span', { class: `badge badge-${e.status.toLowerCase()}` }, e.status)),
      h(
        'dl',
        { class: 'detail-grid' },
        h('dt', {}, 'Execution'), h('dd', {}, h('code', {}, e.executionId)),
        h('dt', {}, 'Script'), h('dd', {}, e.scriptPath ?? '—'),
        h('dt', {}, 'Started'), h('dd', {}, formatTime(e.startTime)),
        h('dt', {}, 'Duration'), h('dd', {}, formatDuration(e.endTime !== null ? e.endTime - e.startTime : null)),
        h('dt', {}, 'Source'), h('dd', {}, e.source),
      ),
      e.error ? h('pre', { class: 'result-error' }, e.error) : null,
      h('div', { class: 'detail-columns' }, h('div', {}, h('h4', {}, 'Inputs'), inspectValue(e.inputs)), h('div', {}, h('h4', {}, 'Outputs'), inspectValue(e.outputs))),
      nodes.length > 0
        ? h(
            'details',
            { class: 'node-results' },
            h('summary', {}, `Node results (${nodes.length})`),
            h(
              'table',
              {},
              h('thead', {}, h('tr', {}, h('th', {}, 'Node'), h('th', {}, 'Status'), h('th', {}, 'Duration'), h('th', {}, 'Error'))),
              h('tbody', {}, ...nodes.map((n) => h('tr', {}, h('td', {}, labelOf(e.dagVizIR, n.nodeId)), h('td', {}, n.status), h('td', {}, formatDuration(n.durationMs)), h('td', {}, n.error ?? '')))),
            ),
          )
        : null,
    );
    this.graph = e.dagVizIR ?? undefined;
    this.dag.render(this.graph);
  }
}

function labelOf(viz: DagVizIR | null, id: string): string {
  return viz?.nodes.find((n) => n.id === id)?.label ?? id;
}
