import type { DagVizIR } from '../../../runtime/viz/types.js';
import { call, describeError, get } from './api.js';
import type { DagView, NodeStateUpdate } from './dag-view.js';
import { debounce, formatDuration, h, setChildren } from './dom.js';
import { CodeEditor, type EditorDiagnostic } from './editor.js';
import { ExecutionWatch, newExecutionId, type LiveEvent } from './execution-watch.js';
import { FileTree, type FileNode } from './file-tree.js';
import { InputsForm, Presets, type InputSpec } from './inputs-form.js';
import type { LspClient, LspDiagnostic } from './lsp-client.js';
import { ModuleBrowser } from './module-browser.js';
import { ProfileView, type ProfileEntry } from './profile-view.js';
import type { Shell } from './shell.js';

/**
 * The Scripts view: file tree, editor with live preview (debounced 400 ms, only the latest
 * answer applied) and diagnostics (from the language server when it answers, else from the
 * preview), the generated input form with presets, Run / Ctrl+Enter, the result, and the DAG
 * with live node states. With the language server, the panel under the editor lists its
 * diagnostics (code, line:column, message; a click goes there) and the editor offers its
 * completion and hover; without it, the panel shows the preview's compile errors.
 *
 * A run: subscribe to the new execution's events first, then start it asynchronously with the
 * editor's text; draw the graph of the image that runs (the 202 answer carries it, so event node
 * ids match), colour nodes as events arrive (events that beat the answer are held), and at the
 * end read the stored record and its graph with every node's state.
 */

const PREVIEW_DEBOUNCE_MS = 400;

interface PreviewAnswer {
  success: boolean;
  dagVizIR: DagVizIR | null;
  errors: string[];
  diagnostics?: { code: string; severity: string; message: string; range: { start: { offset: number }; end: { offset: number } } }[];
  inputs?: InputSpec[];
}

export class ScriptsView {
  readonly element: HTMLElement;
  private readonly editor = new CodeEditor('code-editor');
  private readonly inputs = new InputsForm('inputs-form', 'script');
  private readonly tree: FileTree;
  private readonly currentFile: HTMLSpanElement;
  private readonly runButton: HTMLButtonElement;
  private readonly errorPanel: HTMLDivElement;
  private readonly result: HTMLDivElement;
  private readonly presetSelect: HTMLSelectElement;
  private readonly presetName: HTMLInputElement;
  private readonly lspStatus: HTMLSpanElement;
  private readonly dagSlot: HTMLDivElement;
  private readonly modules: ModuleBrowser;
  private readonly profile = new ProfileView();
  private readonly timings = new Map<string, ProfileEntry>();
  private path: string | undefined;
  private graph: DagVizIR | undefined;
  private readonly states = new Map<string, NodeStateUpdate>();
  private previewSeq = 0;
  private running = false;
  private lsp: LspClient | undefined;
  private lspDiagnostics = false;

  constructor(private readonly shell: Shell, private readonly dag: DagView) {
    this.tree = new FileTree('file-tree', (path) => void this.open(path));
    this.currentFile = h('span', { id: 'current-file', class: 'current-file' }, 'No script open');
    this.runButton = h('button', { id: 'run-btn', type: 'button', class: 'primary-btn', disabled: true, title: 'Run (Ctrl+Enter)', onclick: () => void this.run() }, 'Run ▶');
    this.lspStatus = h('span', { id: 'lsp-status', class: 'lsp-status', title: 'Language server' });
    this.errorPanel = h('div', { id: 'error-panel', class: 'error-panel', hidden: true, role: 'alert' });
    this.result = h('div', { id: 'outputs-display', class: 'outputs-display', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Run a script to see its outputs.'));
    this.presetSelect = h('select', { id: 'preset-select', 'aria-label': 'Input presets' });
    this.presetName = h('input', { id: 'preset-name', type: 'text', placeholder: 'preset name', 'aria-label': 'Preset name' });
    this.dagSlot = h('div', { class: 'dag-slot', id: 'scripts-dag-slot' });
    this.modules = new ModuleBrowser((text) => this.editor.insert(text));
    const splitter = h('div', { class: 'splitter', id: 'splitter', role: 'separator', 'aria-orientation': 'vertical', tabindex: 0, title: 'Drag to resize' });
    const editorPane = h(
      'div',
      { class: 'editor-pane', id: 'editor-pane' },
      h('div', { class: 'editor-header' }, this.currentFile, this.lspStatus, h('span', { class: 'spacer' }), h('button', { id: 'modules-btn', type: 'button', class: 'tool-btn', onclick: () => this.modules.show() }, 'Modules'), this.runButton),
      this.editor.element,
      this.errorPanel,
      h(
        'div',
        { class: 'io-panels' },
        h(
          'section',
          { class: 'inputs-panel', 'aria-label': 'Inputs' },
          h('h3', {}, 'Inputs'),
          h(
            'div',
            { class: 'presets' },
            this.presetSelect,
            h('button', { id: 'preset-load', type: 'button', class: 'tool-btn', onclick: () => this.loadPreset() }, 'Load'),
            h('button', { id: 'preset-delete', type: 'button', class: 'tool-btn', onclick: () => this.deletePreset() }, 'Delete'),
            this.presetName,
            h('button', { id: 'preset-save', type: 'button', class: 'tool-btn', onclick: () => this.savePreset() }, 'Save'),
          ),
          this.inputs.element,
        ),
        h(
          'section',
          { class: 'result-panel', 'aria-label': 'Result' },
          h('div', { class: 'panel-head' }, h('h3', {}, 'Result'), h('button', { id: 'profile-btn', type: 'button', class: 'tool-btn', title: 'Timing of each module call in the last run', onclick: () => this.profile.toggle() }, 'Profile')),
          this.result,
          this.profile.element,
        ),
      ),
    );
    this.element = h(
      'section',
      { id: 'view-scripts', class: 'view view-scripts' },
      h('aside', { class: 'file-panel' }, h('div', { class: 'panel-title' }, 'Scripts'), this.tree.element),
      h('div', { class: 'work-area' }, editorPane, splitter, this.dagSlot),
      this.modules.element,
    );
    bindSplitter(splitter, editorPane, () => this.dag.fit());
    const preview = debounce(PREVIEW_DEBOUNCE_MS, () => void this.preview());
    const lspChange = debounce(150, () => this.syncLanguageServer());
    this.editor.onChange = () => {
      preview();
      lspChange();
    };
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && this.shell.view === 'scripts') {
        e.preventDefault();
        if (this.path) void this.run();
      }
    });
  }

  /** Moves the shared DAG panel here and shows this view's graph. */
  attachDag(): void {
    this.dagSlot.append(this.dag.element);
    this.dag.render(this.graph);
    this.dag.setStates(this.states);
  }

  async refresh(): Promise<void> {
    try {
      const answer = await get<{ files: FileNode[] }>('/api/v1/files');
      this.tree.setFiles(answer.files, this.path);
    } catch (e) {
      this.shell.notify(`Cannot list scripts: ${describeError(e)}`, 'error');
    }
  }

  /** Connects the language server (`lost` is called when its socket closes); without it, diagnostics come from the preview. */
  useLanguageServer(lsp: LspClient | undefined, lost?: () => void): void {
    this.lsp = lsp;
    this.lspDiagnostics = !!lsp?.connected;
    this.lspStatus.textContent = lsp?.connected ? 'LSP' : '';
    this.lspStatus.classList.toggle('on', !!lsp?.connected);
    if (!lsp?.connected) return;
    this.showDiagnostics([]); // the server's list replaces the preview's errors once it has the document
    lsp.onDiagnostics = (uri, diagnostics) => {
      if (uri !== this.uri()) return;
      const list = diagnostics.map((d) => this.fromLsp(d));
      this.editor.setDiagnostics(list);
      this.showDiagnostics(list);
    };
    lsp.onClose = () => {
      this.useLanguageServer(undefined);
      void this.preview(); // the preview's errors take over the panel
      lost?.();
    };
    this.editor.onCompletion = async (offset) => {
      if (!this.path || !lsp.connected) return [];
      this.syncLanguageServer(); // a request must not race the debounced change before it
      try {
        const items = await lsp.completion(this.uri(), this.editor.positionAt(offset));
        return items.map((i) => {
          const edit = i.textEdit;
          const range = edit?.range ?? edit?.replace;
          return {
            label: i.label,
            detail: i.detail ?? null,
            insertText: edit?.newText ?? i.insertText ?? i.label,
            ...(range ? { replace: { start: this.editor.offsetAt(range.start.line, range.start.character), end: this.editor.offsetAt(range.end.line, range.end.character) } } : {}),
          };
        });
      } catch {
        return [];
      }
    };
    this.editor.onHover = async (offset) => {
      if (!this.path || !lsp.connected) return null;
      this.syncLanguageServer();
      try {
        return await lsp.hover(this.uri(), this.editor.positionAt(offset));
      } catch {
        return null;
      }
    };
    if (this.path) lsp.open(this.uri(), this.editor.text);
  }

  /** Sends the editor's text to the language server when it changed since the last send. */
  private syncLanguageServer(): void {
    if (this.path && this.lsp?.connected) this.lsp.change(this.uri(), this.editor.text);
  }

  private uri(): string {
    return `dashboard:///${this.path ?? 'untitled.cst'}`;
  }

  private fromLsp(d: LspDiagnostic): EditorDiagnostic {
    return {
      start: this.editor.offsetAt(d.range.start.line, d.range.start.character),
      end: this.editor.offsetAt(d.range.end.line, d.range.end.character),
      severity: d.severity === 1 || d.severity === undefined ? 'error' : d.severity === 2 ? 'warning' : 'info',
      ...(d.code !== undefined ? { code: String(d.code) } : {}),
      message: d.message,
    };
  }

  /** The language server's diagnostics under the editor: the first line of each message here, all of it on hover. */
  private showDiagnostics(list: readonly EditorDiagnostic[]): void {
    this.errorPanel.hidden = list.length === 0;
    this.errorPanel.replaceChildren(
      ...[...list].sort((a, b) => a.start - b.start).map((d) => {
        const at = this.editor.positionAt(d.start);
        return h(
          'button',
          { type: 'button', class: `error-line link diagnostic diagnostic-${d.severity}`, 'data-code': d.code, title: d.message, onclick: () => this.editor.goTo(at.line + 1, at.character + 1) },
          d.code ? h('strong', {}, d.code) : null,
          ` ${at.line + 1}:${at.character + 1} ${d.message.split('\n')[0]}`,
        );
      }),
    );
  }

  async open(path: string): Promise<void> {
    this.shell.loading(true);
    try {
      const file = await get<{ path: string; content: string; inputs: InputSpec[] }>(`/api/v1/file?path=${encodeURIComponent(path)}`);
      if (this.path && this.lsp?.connected) this.lsp.close(this.uri());
      this.path = file.path;
      this.tree.select(file.path);
      this.currentFile.textContent = file.path;
      this.runButton.disabled = false;
      this.editor.setText(file.content);
      if (this.lspDiagnostics) this.showDiagnostics([]);
      this.inputs.setInputs([]);
      this.inputs.setInputs(file.inputs);
      this.refreshPresets();
      this.result.replaceChildren(h('p', { class: 'muted' }, 'Run the script to see its outputs.'));
      this.states.clear();
      this.graph = undefined;
      if (this.lsp?.connected) this.lsp.open(this.uri(), file.content);
      await this.preview(false);
    } catch (e) {
      this.shell.notify(`Cannot open ${path}: ${describeError(e)}`, 'error');
    } finally {
      this.shell.loading(false);
    }
  }

  private async preview(keepView = true): Promise<void> {
    const seq = ++this.previewSeq;
    const source = this.editor.text;
    if (source.trim().length === 0) {
      if (!this.lspDiagnostics) this.showErrors([]);
      this.graph = undefined;
      this.states.clear();
      this.dag.render(undefined);
      return;
    }
    let answer: PreviewAnswer;
    try {
      answer = (await call<PreviewAnswer>('POST', '/api/v1/preview', { source })).body;
    } catch (e) {
      if (seq === this.previewSeq) this.shell.notify(`Preview failed: ${describeError(e)}`, 'error');
      return;
    }
    if (seq !== this.previewSeq || !answer || typeof answer !== 'object') return; // a newer edit's answer will follow
    if (!this.lspDiagnostics) {
      this.editor.setDiagnostics(
        (answer.diagnostics ?? []).map((d) => ({ start: d.range.start.offset, end: d.range.end.offset, severity: d.severity === 'error' ? 'error' : 'warning', code: d.code, message: d.message })),
      );
    }
    if (answer.inputs) this.inputs.setInputs(answer.inputs);
    if (!answer.success || !answer.dagVizIR) {
      if (!this.lspDiagnostics) this.showErrors(answer.errors ?? ['The script does not compile']);
      return;
    }
    if (!this.lspDiagnostics) this.showErrors([]);
    const sameShape = this.graph && sameNodes(this.graph, answer.dagVizIR);
    this.graph = answer.dagVizIR;
    if (!sameShape) this.states.clear();
    this.dag.render(this.graph, keepView && !!sameShape);
    this.dag.setStates(this.states);
  }

  private showErrors(errors: readonly string[]): void {
    this.errorPanel.hidden = errors.length === 0;
    this.errorPanel.replaceChildren(
      ...errors.map((message) => {
        const at = /line (\d+)(?:, column (\d+)|:(\d+))?/.exec(message);
        if (!at) return h('div', { class: 'error-line' }, message);
        const line = Number(at[1]);
        const column = Number(at[2] ?? at[3] ?? 1);
        return h('button', { type: 'button', class: 'error-line link', title: `Go to line ${line}`, onclick: () => this.editor.goTo(line, column) }, message);
      }),
    );
  }

  private async run(): Promise<void> {
    if (!this.path || this.running) return;
    const values = this.inputs.values();
    if (!values.ok) {
      this.showResult('Failed', values.error);
      return;
    }
    this.running = true;
    this.runButton.disabled = true;
    this.runButton.classList.add('busy');
    const executionId = newExecutionId();
    const early: LiveEvent[] = [];
    let drawn = false;
    let ended: (() => void) | undefined;
    const endEvent = new Promise<void>((resolve) => (ended = resolve));
    const apply = (event: LiveEvent) => {
      if (!drawn) early.push(event); // the graph is not drawn yet: hold the event
      else this.applyEvent(event);
      if (event.type === 'execution:complete' || event.type === 'execution:cancelled') ended!();
    };
    // without the socket (or once it is lost for good) the end is found by reading the record
    let polling: Promise<void> | undefined;
    const poll = () => (polling ??= this.untilStored(executionId));
    const watch = new ExecutionWatch(executionId, apply, () => void poll().then(ended));
    try {
      if (!(await watch.open())) void poll().then(ended);
      const started = await call<{ executionId?: string; dagVizIR?: DagVizIR; message?: string; error?: string }>('POST', '/api/v1/execute', {
        scriptPath: this.path, inputs: values.inputs, source: 'dashboard', content: this.editor.text, async: true, executionId,
      });
      if (started.status !== 202 || !started.body.dagVizIR) {
        watch.close();
        this.showResult('Failed', started.body?.message ?? started.body?.error ?? `HTTP ${started.status}`);
        return;
      }
      this.graph = started.body.dagVizIR;
      this.states.clear();
      this.timings.clear();
      this.dag.render(this.graph, true);
      this.dag.resetStates();
      for (const n of this.graph.nodes) this.states.set(n.id, { status: 'Pending' });
      drawn = true;
      for (const e of early.splice(0)) this.applyEvent(e);
      this.showResult('Running', null);
      await endEvent;
      watch.close();
      // the record is written just after the end event: wait for it
      await this.untilStored(executionId);
      await this.showStored(executionId);
      this.profile.show([...this.timings.values()]);
    } catch (e) {
      watch.close();
      this.showResult('Failed', describeError(e));
    } finally {
      this.running = false;
      this.runButton.disabled = !this.path;
      this.runButton.classList.remove('busy');
    }
  }

  private applyEvent(event: LiveEvent): void {
    const id = event.moduleId;
    if (id && event.type === 'module:start') this.timings.set(id, { id, name: event.moduleName ?? id, start: event.timestamp, end: null, status: 'Running' });
    else if (id && (event.type === 'module:complete' || event.type === 'module:failed')) {
      const t = this.timings.get(id);
      if (t) {
        t.end = event.timestamp;
        t.status = event.type === 'module:complete' ? 'Completed' : 'Failed';
      }
    }
    let update: NodeStateUpdate | undefined;
    if (event.type === 'module:start') update = { status: 'Running' };
    else if (event.type === 'module:complete') update = { status: 'Completed', durationMs: event.durationMs ?? null };
    else if (event.type === 'module:failed') update = { status: 'Failed', error: event.error ?? null };
    if (!id || !update) return;
    this.states.set(id, update);
    this.dag.setStates([[id, update]]);
  }

  /** Resolves once the run's record is no longer Running (checked at once, then with a growing pause). */
  private async untilStored(executionId: string): Promise<void> {
    for (let wait = 50; ; wait = Math.min(2000, wait * 1.6)) {
      const r = await call<{ status?: string }>('GET', `/api/v1/executions/${executionId}`);
      if (r.status === 404 || (r.status === 200 && r.body.status !== 'Running')) return; // (404: evicted already; the caller reports it)
      await new Promise((resolve) => window.setTimeout(resolve, wait));
    }
  }

  private async showStored(executionId: string): Promise<void> {
    const record = await get<{ status: string; outputs: Record<string, unknown> | null; error: string | null; startTime: number; endTime: number | null; dagVizIR: DagVizIR | null }>(
      `/api/v1/executions/${executionId}`,
    );
    if (record.dagVizIR) {
      for (const n of record.dagVizIR.nodes) if (n.executionState) this.states.set(n.id, n.executionState);
      this.dag.setStates(record.dagVizIR.nodes.filter((n) => n.executionState).map((n) => [n.id, n.executionState!]));
    }
    const duration = record.endTime !== null ? record.endTime - record.startTime : null;
    this.showResult(record.status === 'Completed' ? 'Completed' : 'Failed', record.error, record.outputs, duration, executionId);
    this.shell.notify(`Run ${record.status.toLowerCase()} in ${formatDuration(duration)}`, record.status === 'Completed' ? 'ok' : 'error');
  }

  private showResult(status: 'Completed' | 'Failed' | 'Running', error: string | null, outputs?: Record<string, unknown> | null, durationMs?: number | null, executionId?: string): void {
    setChildren(this.result, 
      h(
        'div',
        { class: 'result-head' },
        h('span', { class: `badge badge-${status.toLowerCase()}`, id: 'result-status' }, status),
        durationMs !== undefined && durationMs !== null ? h('span', { class: 'result-duration' }, formatDuration(durationMs)) : null,
        executionId ? h('a', { href: `#/executions/${executionId}`, class: 'result-link' }, 'history') : null,
      ),
      error ? h('pre', { class: 'result-error' }, error) : null,
      outputs ? h('pre', { class: 'result-json', id: 'outputs-json' }, JSON.stringify(outputs, null, 2)) : null,
    );
  }

  private presets(): Presets | undefined {
    return this.path ? new Presets(this.path) : undefined;
  }

  private refreshPresets(): void {
    const names = Object.keys(this.presets()?.all() ?? {}).sort();
    this.presetSelect.replaceChildren(h('option', { value: '' }, names.length ? 'Presets…' : 'No presets'), ...names.map((n) => h('option', { value: n }, n)));
  }

  private savePreset(): void {
    const name = this.presetName.value.trim();
    const presets = this.presets();
    if (!name || !presets) return;
    presets.save(name, this.inputs.snapshot());
    this.presetName.value = '';
    this.refreshPresets();
    this.presetSelect.value = name;
    this.shell.notify(`Preset '${name}' saved`, 'ok');
  }

  private loadPreset(): void {
    const values = this.presets()?.all()[this.presetSelect.value];
    if (values) this.inputs.restore(values);
  }

  private deletePreset(): void {
    const name = this.presetSelect.value;
    if (!name) return;
    this.presets()?.remove(name);
    this.refreshPresets();
  }
}

function sameNodes(a: DagVizIR, b: DagVizIR): boolean {
  return a.nodes.length === b.nodes.length && a.edges.length === b.edges.length && a.nodes.every((n, i) => n.id === b.nodes[i]!.id && n.label === b.nodes[i]!.label);
}

/** The editor/DAG splitter: drag (or arrow keys) between 15 % and 85 % of the width; the DAG re-fits after. */
function bindSplitter(splitter: HTMLElement, left: HTMLElement, after: () => void): void {
  const setShare = (share: number) => {
    const clamped = Math.min(85, Math.max(15, share));
    left.style.flexBasis = `${clamped}%`;
    splitter.setAttribute('aria-valuenow', String(Math.round(clamped)));
  };
  splitter.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    const area = splitter.parentElement!.getBoundingClientRect();
    const move = (ev: PointerEvent) => setShare(((ev.clientX - area.left) / area.width) * 100);
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      after();
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  });
  splitter.addEventListener('keydown', (e) => {
    const current = parseFloat(left.style.flexBasis) || 50;
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      setShare(current + (e.key === 'ArrowLeft' ? -5 : 5));
      after();
    }
  });
}
