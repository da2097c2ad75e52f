import { call, del, describeError, get, post } from './api.js';
import { formatTime, h, setChildren } from './dom.js';
import type { FileNode } from './file-tree.js';
import { InputsForm } from './inputs-form.js';
import type { Shell } from './shell.js';
import { inspectValue } from './value-inspector.js';

/**
 * The Pipelines view (the core API's pipeline lifecycle): stored images with aliases, an
 * image's detail, running it by reference (outputs, or the suspension's id and missing inputs),
 * reload, versions with rollback, delete; canary state of every alias (refreshed every 5 s while
 * the view is open) with promote and roll back; suspended executions with resume and delete;
 * compiling a script of the file browser into the store.
 */

interface PipelineSummary {
  structuralHash: string;
  aliases: string[];
  compiledAt: string;
  moduleCount: number;
  declaredOutputs: string[];
}

interface Suspended {
  executionId: string;
  structuralHash: string;
  resumptionCount: number;
  missingInputs: { [name: string]: string };
  createdAt: string;
}

interface Canary {
  pipelineName: string;
  currentWeight: number;
  currentStep: number;
  status: string;
  oldVersion: { version: number };
  newVersion: { version: number };
  metrics: { oldVersion: VersionMetrics; newVersion: VersionMetrics };
}

interface VersionMetrics {
  requests: number;
  successes: number;
  failures: number;
  avgLatencyMs: number;
  p99LatencyMs: number;
}

const CANARY_POLL_MS = 5000;
const short = (hash: string) => hash.slice(0, 12);

export class PipelinesView {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly detail: HTMLDivElement;
  private readonly canaries: HTMLDivElement;
  private readonly suspended: HTMLUListElement;
  private readonly fileSelect: HTMLSelectElement;
  private pipelines: PipelineSummary[] = [];
  private poll: number | undefined;

  constructor(private readonly shell: Shell) {
    this.list = h('ul', { id: 'pipelines-list', class: 'pipelines-list', 'aria-label': 'Pipelines' });
    this.detail = h('div', { id: 'pipeline-detail', class: 'pipeline-detail' }, h('p', { class: 'muted' }, 'Select a pipeline.'));
    this.canaries = h('div', { id: 'canary-panel', class: 'canary-panel' });
    this.suspended = h('ul', { id: 'suspended-list', class: 'suspended-list', 'aria-label': 'Suspended executions' });
    this.fileSelect = h('select', { id: 'load-file-select', 'aria-label': 'Script to load' });
    this.element = h(
      'section',
      { id: 'view-pipelines', class: 'view view-pipelines', hidden: true },
      h(
        'aside',
        { class: 'pipelines-side' },
        h('div', { class: 'panel-title' }, 'Pipelines'),
        h('div', { class: 'load-file' }, this.fileSelect, h('button', { id: 'load-file-btn', type: 'button', class: 'tool-btn', onclick: () => void this.loadFile() }, 'Load file as pipeline')),
        this.list,
        h('div', { class: 'panel-title' }, 'Suspended executions'),
        this.suspended,
      ),
      h('div', { class: 'pipelines-main' }, this.detail, h('h3', {}, 'Canary releases'), this.canaries),
    );
  }

  /** Called when the view opens and closes: canary polling runs only while it is open. */
  setActive(active: boolean): void {
    window.clearInterval(this.poll);
    this.poll = active ? window.setInterval(() => void this.refreshCanaries(), CANARY_POLL_MS) : undefined;
  }

  async refresh(): Promise<void> {
    await Promise.all([this.refreshPipelines(), this.refreshSuspended(), this.refreshFiles()]);
    await this.refreshCanaries();
  }

  private async refreshPipelines(): Promise<void> {
    try {
      this.pipelines = (await get<{ pipelines: PipelineSummary[] }>('/pipelines')).pipelines.sort((a, b) => (a.aliases[0] ?? a.structuralHash).localeCompare(b.aliases[0] ?? b.structuralHash));
    } catch (e) {
      this.shell.notify(`Cannot list pipelines: ${describeError(e)}`, 'error');
      return;
    }
    this.list.replaceChildren(
      ...(this.pipelines.length === 0 ? [h('li', { class: 'muted' }, 'No stored pipelines. Load a script as a pipeline.')] : []),
      ...this.pipelines.map((p) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'pipeline-item', 'data-hash': p.structuralHash, onclick: () => void this.show(p.aliases[0] ?? `sha256:${p.structuralHash}`) },
            h('span', { class: 'pipeline-name' }, p.aliases[0] ?? short(p.structuralHash)),
            h('code', { class: 'pipeline-hash' }, short(p.structuralHash)),
            h('span', { class: 'pipeline-meta' }, `${p.moduleCount} modules · outputs: ${p.declaredOutputs.join(', ') || '—'}`),
            p.aliases.length > 1 ? h('span', { class: 'pipeline-aliases' }, `aliases: ${p.aliases.join(', ')}`) : null,
          ),
        ),
      ),
    );
  }

  private async show(ref: string): Promise<void> {
    let p: { structuralHash: string; syntacticHash: string; aliases: string[]; compiledAt: string; inputSchema: { [k: string]: string }; outputSchema: { [k: string]: string }; modules: { name: string; version: string }[] };
    try {
      p = await get(`/pipelines/${encodeURIComponent(ref)}`);
    } catch (e) {
      this.detail.replaceChildren(h('p', { class: 'error-line' }, describeError(e)));
      return;
    }
    const name = p.aliases[0];
    const form = new InputsForm('pipeline-run-form', 'pipeline');
    // a run by reference may leave inputs out: it suspends until they are given
    form.setInputs(Object.entries(p.inputSchema).map(([n, t]) => ({ name: n, paramType: t, required: false })));
    const output = h('div', { id: 'pipeline-run-result', class: 'run-result' });
    const versions = h('div', { id: 'pipeline-versions' });
    const run = async () => {
      const values = form.values();
      if (!values.ok) {
        output.replaceChildren(h('p', { class: 'error-line' }, values.error));
        return;
      }
      const r = await call<{ success?: boolean; status?: string; outputs?: unknown; error?: string | null; message?: string; executionId?: string; missingInputs?: { [k: string]: string } | null }>('POST', '/execute', { ref, inputs: values.inputs });
      const b = r.body;
      setChildren(output, 
        h('div', { class: 'result-head' }, h('span', { class: `badge badge-${b.status === 'completed' ? 'completed' : b.status === 'suspended' ? 'suspended' : 'failed'}` }, b.status ?? `HTTP ${r.status}`)),
        b.status === 'suspended' ? h('p', { class: 'suspension' }, `Suspended as ${b.executionId}; missing: ${Object.keys(b.missingInputs ?? {}).join(', ')}`) : null,
        b.error || b.message ? h('pre', { class: 'result-error' }, String(b.error ?? b.message)) : null,
        b.outputs ? inspectValue(b.outputs) : null,
      );
      if (b.status === 'suspended') await this.refreshSuspended();
    };
    const action = (id: string, label: string, fn: () => Promise<unknown>) =>
      h('button', { id, type: 'button', class: 'tool-btn', onclick: async () => {
        try {
          await fn();
        } catch (e) {
          this.shell.notify(describeError(e), 'error');
        }
      } }, label);
    this.detail.replaceChildren(
      h('div', { class: 'detail-head' }, h('h3', {}, name ?? short(p.structuralHash))),
      h(
        'dl',
        { class: 'detail-grid' },
        h('dt', {}, 'Structural hash'), h('dd', {}, h('code', {}, p.structuralHash)),
        h('dt', {}, 'Syntactic hash'), h('dd', {}, h('code', {}, p.syntacticHash)),
        h('dt', {}, 'Aliases'), h('dd', {}, p.aliases.join(', ') || '—'),
        h('dt', {}, 'Compiled'), h('dd', {}, formatTime(Date.parse(p.compiledAt))),
        h('dt', {}, 'Modules'), h('dd', {}, p.modules.map((m) => `${m.name} ${m.version}`).join(', ') || '—'),
        h('dt', {}, 'Outputs'), h('dd', {}, Object.entries(p.outputSchema).map(([k, t]) => `${k}: ${t}`).join(', ') || '—'),
      ),
      h(
        'div',
        { class: 'actions' },
        name ? action('pipeline-reload', 'Reload', async () => {
          await post(`/pipelines/${encodeURIComponent(name)}/reload`, {});
          this.shell.notify(`Reloaded ${name}`, 'ok');
          await this.refresh();
        }) : null,
        name ? action('pipeline-versions-btn', 'Versions', () => this.showVersions(name, versions)) : null,
        this.deleteButton(p.structuralHash),
      ),
      versions,
      h('h4', {}, 'Run'),
      form.element,
      h('button', { id: 'pipeline-run-btn', type: 'button', class: 'primary-btn', onclick: () => void run() }, 'Execute'),
      output,
    );
  }

  private deleteButton(hash: string): HTMLButtonElement {
    let armed = false;
    const btn: HTMLButtonElement = h('button', { id: 'pipeline-delete', type: 'button', class: 'tool-btn danger', onclick: async () => {
      if (!armed) {
        armed = true;
        btn.textContent = 'Confirm delete';
        return;
      }
      const r = await call<{ message?: string }>('DELETE', `/pipelines/sha256:${hash}`);
      if (r.status === 200) {
        this.shell.notify('Pipeline deleted', 'ok');
        this.detail.replaceChildren(h('p', { class: 'muted' }, 'Select a pipeline.'));
        await this.refresh();
      } else {
        this.shell.notify(r.body?.message ?? `HTTP ${r.status}`, 'error');
      }
    } }, 'Delete');
    return btn;
  }

  private async showVersions(name: string, into: HTMLElement): Promise<void> {
    const v = await get<{ versions: { version: number; structuralHash: string; createdAt: string; active: boolean }[] }>(`/pipelines/${encodeURIComponent(name)}/versions`);
    into.replaceChildren(
      h(
        'ul',
        { class: 'versions' },
        ...v.versions.map((x) =>
          h(
            'li',
            {},
            `v${x.version} · ${short(x.structuralHash)} · ${formatTime(Date.parse(x.createdAt))}${x.active ? ' · active' : ''}`,
            x.active ? null : h('button', { type: 'button', class: 'tool-btn', onclick: async () => {
              await post(`/pipelines/${encodeURIComponent(name)}/rollback/${x.version}`, {});
              this.shell.notify(`${name} rolled back to v${x.version}`, 'ok');
              await this.refresh();
              await this.showVersions(name, into);
            } }, 'Roll back'),
          ),
        ),
      ),
    );
  }

  private async refreshCanaries(): Promise<void> {
    let canaries: Canary[];
    try {
      canaries = (await get<{ canaries: Canary[] }>('/api/v1/canaries')).canaries;
    } catch {
      return; // the next poll tries again
    }
    const active = canaries.map((c) => ({ alias: c.pipelineName, c }));
    const metrics = (label: string, m: VersionMetrics) => h('span', { class: 'canary-metrics' }, `${label}: ${m.requests} req, ${m.failures} failed, avg ${m.avgLatencyMs.toFixed(1)} ms, p99 ${m.p99LatencyMs.toFixed(1)} ms`);
    this.canaries.replaceChildren(
      ...(active.length === 0 ? [h('p', { class: 'muted' }, 'No canary releases.')] : []),
      ...active.map(({ alias, c }) =>
        h(
          'div',
          { class: 'canary' },
          h('strong', {}, alias),
          ` v${c.oldVersion.version} → v${c.newVersion.version} · weight ${(c.currentWeight * 100).toFixed(0)}% · step ${c.currentStep} · `,
          h('span', { class: `badge badge-${c.status}` }, c.status),
          metrics('old', c.metrics.oldVersion),
          metrics('new', c.metrics.newVersion),
          c.status === 'observing' ? h('button', { type: 'button', class: 'tool-btn', onclick: async () => (await post(`/pipelines/${encodeURIComponent(alias)}/canary/promote`), this.refreshCanaries()) }, 'Promote') : null,
          c.status === 'observing' ? h('button', { type: 'button', class: 'tool-btn danger', onclick: async () => (await post(`/pipelines/${encodeURIComponent(alias)}/canary/rollback`), this.refreshCanaries()) }, 'Roll back') : null,
        ),
      ),
    );
  }

  async refreshSuspended(): Promise<void> {
    let list: Suspended[];
    try {
      list = (await get<{ executions: Suspended[] }>('/executions')).executions;
    } catch (e) {
      this.shell.notify(`Cannot list suspended executions: ${describeError(e)}`, 'error');
      return;
    }
    this.suspended.replaceChildren(
      ...(list.length === 0 ? [h('li', { class: 'muted' }, 'No suspended executions.')] : []),
      ...list.map((s) => {
        const form = new InputsForm(`resume-${s.executionId}`, `resume-${s.executionId.slice(0, 8)}`);
        form.setInputs(Object.entries(s.missingInputs).map(([name, type]) => ({ name, paramType: type, required: true })));
        const result = h('div', { class: 'run-result' });
        const resume = async () => {
          const values = form.values();
          if (!values.ok) {
            result.replaceChildren(h('p', { class: 'error-line' }, values.error));
            return;
          }
          const r = await call<{ status?: string; outputs?: unknown; error?: string | null; message?: string }>('POST', `/executions/${s.executionId}/resume`, { additionalInputs: values.inputs });
          if (r.status === 200 && r.body.status === 'completed') {
            this.shell.notify(`Execution ${short(s.executionId)} completed`, 'ok');
            result.replaceChildren(h('span', { class: 'badge badge-completed' }, 'completed'), inspectValue(r.body.outputs));
            window.setTimeout(() => void this.refreshSuspended(), 1500);
          } else {
            result.replaceChildren(h('span', { class: `badge badge-${r.body.status === 'suspended' ? 'suspended' : 'failed'}` }, r.body.status ?? `HTTP ${r.status}`), r.body.error || r.body.message ? h('pre', { class: 'result-error' }, String(r.body.error ?? r.body.message)) : '');
          }
        };
        return h(
          'li',
          { class: 'suspended-item', 'data-execution-id': s.executionId },
          h('code', {}, s.executionId),
          h('span', { class: 'pipeline-meta' }, `pipeline ${short(s.structuralHash)} · resumed ${s.resumptionCount}× · ${formatTime(Date.parse(s.createdAt))}`),
          h('span', { class: 'pipeline-meta' }, `missing: ${Object.entries(s.missingInputs).map(([k, t]) => `${k} (${t})`).join(', ')}`),
          form.element,
          h(
            'div',
            { class: 'actions' },
            h('button', { type: 'button', class: 'primary-btn resume-btn', onclick: () => void resume() }, 'Resume'),
            h('button', { type: 'button', class: 'tool-btn danger', onclick: async () => {
              await del(`/executions/${s.executionId}`);
              await this.refreshSuspended();
            } }, 'Discard'),
          ),
          result,
        );
      }),
    );
  }

  private async refreshFiles(): Promise<void> {
    try {
      const { files } = await get<{ files: FileNode[] }>('/api/v1/files');
      const flat: string[] = [];
      const walk = (nodes: FileNode[]) => nodes.forEach((n) => (n.fileType === 'file' ? flat.push(n.path) : walk(n.children ?? [])));
      walk(files);
      const chosen = this.fileSelect.value;
      this.fileSelect.replaceChildren(...flat.map((p) => h('option', { value: p }, p)));
      if (flat.includes(chosen)) this.fileSelect.value = chosen;
    } catch {
      // the script directory is optional here; the Scripts view reports its errors
    }
  }

  private async loadFile(): Promise<void> {
    const path = this.fileSelect.value;
    if (!path) return;
    try {
      const file = await get<{ content: string; name: string }>(`/api/v1/file?path=${encodeURIComponent(path)}`);
      const name = file.name.replace(/\.cst$/, '');
      const r = await call<{ success: boolean; errors?: string[]; structuralHash?: string }>('POST', '/compile', { source: file.content, name });
      if (r.status !== 200) {
        this.shell.notify(`Cannot compile ${path}: ${(r.body.errors ?? []).join('; ') || `HTTP ${r.status}`}`, 'error');
        return;
      }
      this.shell.notify(`Loaded ${path} as '${name}'`, 'ok');
      await this.refresh();
      await this.show(name);
    } catch (e) {
      this.shell.notify(describeError(e), 'error');
    }
  }
}
