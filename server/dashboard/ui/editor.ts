import { h } from './dom.js';
import { renderMarkdown } from './markdown.js';

/**
 * A light code editor: a transparent textarea over two pre-rendered layers — syntax colours,
 * and diagnostic underlines — plus a line-number gutter. The textarea does all the editing
 * (selection, undo, IME, clipboard), the layers only paint. Tab inserts two spaces; Shift+Tab
 * removes them; `goTo(line)` selects a line. A completion list and a hover box are hooks for
 * the language server (lsp-client.ts); hovering underlined text shows its diagnostics (code and
 * message) above what the hook answers.
 */

export interface EditorDiagnostic {
  /** UTF-16 offsets into the text. */
  readonly start: number;
  readonly end: number;
  readonly severity: 'error' | 'warning' | 'info';
  /** The compiler's code (E001, W003 …), when it has one. */
  readonly code?: string;
  readonly message: string;
}

export interface CompletionEntry {
  readonly label: string;
  readonly detail: string | null;
  readonly insertText: string;
  /** The text it replaces (offsets); by default the identifier around the caret. */
  readonly replace?: { readonly start: number; readonly end: number };
}

const KEYWORDS = new Set(['in', 'out', 'use', 'as', 'type', 'if', 'else', 'with', 'and', 'or', 'not', 'true', 'false', 'branch', 'otherwise', 'match']);
/** Beyond this size the colours are skipped (the text stays editable). */
const HIGHLIGHT_LIMIT = 300_000;

type TokenClass = 'tok-comment' | 'tok-string' | 'tok-number' | 'tok-keyword' | 'tok-type' | 'tok-annotation' | 'tok-op' | null;

/** Splits source text into coloured runs: comments (`#`), strings (with `${…}`), numbers, keywords, types, annotations. */
export function tokenize(text: string): [number, number, TokenClass][] {
  const out: [number, number, TokenClass][] = [];
  const re = /(#[^\n]*)|("(?:[^"\\\n]|\\.)*"?)|(\b\d+(?:\.\d+)?(?:ms|s|min|h|d)?\b)|(@\s*[A-Za-z_]\w*)|([A-Za-z_][\w-]*)|([-+*/=<>!?:|&]+|=>)/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push([last, m.index, null]);
    let cls: TokenClass = null;
    if (m[1]) cls = 'tok-comment';
    else if (m[2]) cls = 'tok-string';
    else if (m[3]) cls = 'tok-number';
    else if (m[4]) cls = 'tok-annotation';
    else if (m[5]) cls = KEYWORDS.has(m[5]) ? 'tok-keyword' : /^[A-Z]/.test(m[5]) ? 'tok-type' : null;
    else if (m[6]) cls = 'tok-op';
    out.push([m.index, m.index + m[0].length, cls]);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push([last, text.length, null]);
  return out;
}

export class CodeEditor {
  readonly element: HTMLDivElement;
  readonly textarea: HTMLTextAreaElement;
  private readonly colours: HTMLPreElement;
  private readonly squiggles: HTMLPreElement;
  private readonly gutter: HTMLDivElement;
  private readonly completionBox: HTMLUListElement;
  private readonly hoverBox: HTMLDivElement;
  private diagnostics: readonly EditorDiagnostic[] = [];
  private completions: readonly CompletionEntry[] = [];
  private selected = 0;
  private lineCount = 0;
  private charWidth = 0;
  private lineHeight = 0;
  /** Called after every edit (not after `setText`). */
  onChange: (text: string) => void = () => {};
  /** Ctrl/Cmd+Space or a trigger character: asks for completions at an offset. */
  onCompletion: ((offset: number) => Promise<readonly CompletionEntry[]>) | undefined;
  /** Hovering a position: asks for a description (Markdown). */
  onHover: ((offset: number) => Promise<string | null>) | undefined;
  /** Counts mouse moves and keys, so a hover answer that arrives after them is dropped. */
  private hoverSeq = 0;
  private hoverTimer: number | undefined;

  constructor(id: string) {
    this.textarea = h('textarea', { id, class: 'editor-input', spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', wrap: 'off', 'aria-label': 'Script source' });
    this.colours = h('pre', { class: 'editor-layer editor-colours', 'aria-hidden': 'true' });
    this.squiggles = h('pre', { class: 'editor-layer editor-squiggles', 'aria-hidden': 'true' });
    this.gutter = h('div', { class: 'editor-gutter', 'aria-hidden': 'true' });
    this.completionBox = h('ul', { class: 'editor-completions', role: 'listbox', hidden: true });
    this.hoverBox = h('div', { class: 'editor-hover', role: 'tooltip', hidden: true });
    this.element = h('div', { class: 'editor' }, this.gutter, h('div', { class: 'editor-body' }, this.colours, this.squiggles, this.textarea), this.completionBox, this.hoverBox);
    this.textarea.addEventListener('input', () => {
      this.paint();
      this.onChange(this.textarea.value);
      const typed = this.textarea.value[this.textarea.selectionStart - 1];
      if (typed && '.(:'.includes(typed)) void this.complete();
      // the open list follows the word being typed; anything else (a space, `)`) ends the word and the list
      else if (!this.completionBox.hidden && typed && /\w/.test(typed)) void this.complete();
      else this.hideCompletions();
    });
    this.textarea.addEventListener('scroll', () => this.syncScroll());
    this.textarea.addEventListener('keydown', (e) => {
      this.hideHover(); // typing makes its text stale (and it would cover the completion list)
      this.keydown(e);
    });
    this.textarea.addEventListener('blur', () => window.setTimeout(() => this.hideCompletions(), 150));
    this.textarea.addEventListener('mousemove', (e) => {
      this.hideHover();
      this.hoverTimer = window.setTimeout(() => void this.hover(e.clientX, e.clientY), 450);
    });
    this.textarea.addEventListener('mouseleave', () => this.hideHover());
    this.paint();
  }

  get text(): string {
    return this.textarea.value;
  }

  setText(text: string): void {
    this.textarea.value = text;
    this.diagnostics = [];
    this.textarea.scrollTop = 0;
    this.paint();
  }

  setDiagnostics(diagnostics: readonly EditorDiagnostic[]): void {
    this.diagnostics = diagnostics;
    this.paintSquiggles();
  }

  /** Selects line `line` (1-based), column `column` (1-based) onwards, and brings it into view. */
  goTo(line: number, column = 1): void {
    const starts = lineStarts(this.textarea.value);
    const l = Math.min(Math.max(1, line), starts.length);
    const start = starts[l - 1]!;
    const end = l < starts.length ? starts[l]! - 1 : this.textarea.value.length;
    this.textarea.focus();
    this.textarea.setSelectionRange(Math.min(start + column - 1, end), end);
    this.measure();
    this.textarea.scrollTop = Math.max(0, (l - 3) * this.lineHeight);
    this.syncScroll();
  }

  /** Inserts text at the caret (undoable). */
  insert(text: string): void {
    const ta = this.textarea;
    ta.focus();
    if (!document.execCommand('insertText', false, text)) {
      ta.setRangeText(text, ta.selectionStart, ta.selectionEnd, 'end');
      ta.dispatchEvent(new Event('input'));
    }
  }

  /** Offset of (0-based line, UTF-16 character) and back: the LSP's positions. */
  offsetAt(line: number, character: number): number {
    const starts = lineStarts(this.textarea.value);
    if (line >= starts.length) return this.textarea.value.length;
    const next = line + 1 < starts.length ? starts[line + 1]! - 1 : this.textarea.value.length;
    return Math.min(starts[line]! + character, next);
  }

  positionAt(offset: number): { line: number; character: number } {
    const before = this.textarea.value.slice(0, offset);
    const line = (before.match(/\n/g) ?? []).length;
    return { line, character: offset - (before.lastIndexOf('\n') + 1) };
  }

  private paint(): void {
    const text = this.textarea.value;
    const frag = document.createDocumentFragment();
    if (text.length <= HIGHLIGHT_LIMIT) {
      for (const [a, b, cls] of tokenize(text)) {
        const piece = text.slice(a, b);
        frag.append(cls ? h('span', { class: cls }, piece) : document.createTextNode(piece));
      }
    } else {
      frag.append(text);
    }
    frag.append('\n'); // a trailing newline keeps the last line's height
    this.colours.replaceChildren(frag);
    const lines = (text.match(/\n/g) ?? []).length + 1;
    if (lines !== this.lineCount) {
      this.lineCount = lines;
      const numbers = [];
      for (let i = 1; i <= lines; i++) numbers.push(i);
      this.gutter.textContent = numbers.join('\n') + '\n';
    }
    this.paintSquiggles();
    this.syncScroll();
  }

  private paintSquiggles(): void {
    const text = this.textarea.value;
    const frag = document.createDocumentFragment();
    const sorted = [...this.diagnostics].filter((d) => d.start <= text.length).sort((a, b) => a.start - b.start);
    let at = 0;
    for (const d of sorted) {
      const start = Math.max(at, d.start);
      // an empty range (end of file, a missing token) still shows one character's underline
      const end = Math.min(text.length, Math.max(d.end, start + 1));
      if (start > at) frag.append(text.slice(at, start));
      const squiggle = (piece: string) => h('span', { class: `squiggle squiggle-${d.severity}`, 'data-code': d.code }, piece);
      if (end > start) frag.append(squiggle(text.slice(start, end)));
      else if (start === text.length) frag.append(squiggle(' '));
      at = Math.max(at, end);
    }
    frag.append(text.slice(at), '\n');
    this.squiggles.replaceChildren(frag);
  }

  private syncScroll(): void {
    const { scrollTop, scrollLeft } = this.textarea;
    this.colours.scrollTop = this.squiggles.scrollTop = scrollTop;
    this.colours.scrollLeft = this.squiggles.scrollLeft = scrollLeft;
    this.gutter.scrollTop = scrollTop;
  }

  private measure(): void {
    if (this.charWidth > 0) return;
    const probe = h('span', { class: 'editor-probe' }, 'MMMMMMMMMM');
    this.colours.append(probe);
    const rect = probe.getBoundingClientRect();
    this.charWidth = rect.width / 10 || 7.8;
    this.lineHeight = parseFloat(getComputedStyle(this.textarea).lineHeight) || 19;
    probe.remove();
  }

  private keydown(e: KeyboardEvent): void {
    const ta = this.textarea;
    if (!this.completionBox.hidden) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        this.select(this.selected + (e.key === 'ArrowDown' ? 1 : -1));
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        this.accept(this.completions[this.selected]);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        this.hideCompletions();
        return;
      }
    }
    if (e.key === ' ' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void this.complete();
      return;
    }
    if (e.key === 'Tab' && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      const { selectionStart: a, selectionEnd: b, value } = ta;
      if (e.shiftKey) {
        const lineStart = value.lastIndexOf('\n', a - 1) + 1;
        const strip = value.startsWith('  ', lineStart) ? 2 : value.startsWith(' ', lineStart) ? 1 : 0;
        if (strip > 0) {
          ta.setSelectionRange(lineStart, lineStart + strip);
          document.execCommand('delete');
          ta.setSelectionRange(Math.max(lineStart, a - strip), Math.max(lineStart, b - strip));
        }
      } else if (!document.execCommand('insertText', false, '  ')) {
        // execCommand keeps the undo stack; the fallback does not
        ta.setRangeText('  ', a, b, 'end');
        ta.dispatchEvent(new Event('input'));
      }
    }
  }

  private async complete(): Promise<void> {
    if (!this.onCompletion) return;
    const offset = this.textarea.selectionStart;
    const items = await this.onCompletion(offset);
    if (this.textarea.selectionStart !== offset) return; // typed on: a newer request follows
    const word = wordBefore(this.textarea.value, offset).toLowerCase();
    this.completions = items.filter((i) => i.label.toLowerCase().startsWith(word)).slice(0, 50);
    if (this.completions.length === 0) {
      this.hideCompletions();
      return;
    }
    this.completionBox.replaceChildren(
      ...this.completions.map((c, i) =>
        h('li', { role: 'option', 'data-index': i, onmousedown: (ev: Event) => (ev.preventDefault(), this.accept(c)) }, h('span', { class: 'completion-label' }, c.label), c.detail ? h('span', { class: 'completion-detail' }, c.detail) : null),
      ),
    );
    this.select(0);
    const { left, top } = this.caretPixel(offset);
    this.completionBox.style.left = `${left}px`;
    this.completionBox.style.top = `${top + this.lineHeight}px`;
    this.completionBox.hidden = false;
  }

  private select(i: number): void {
    const n = this.completions.length;
    this.selected = ((i % n) + n) % n;
    this.completionBox.querySelectorAll('li').forEach((li, k) => li.classList.toggle('selected', k === this.selected));
    this.completionBox.children[this.selected]?.scrollIntoView({ block: 'nearest' });
  }

  /**
   * Replaces the whole identifier around the caret (or the item's own range) with the item: a
   * caret inside `Lowe|rc(x)` gives `Lowercase(x)`. A call's `()` is left out when the
   * parenthesis is already there.
   */
  private accept(c: CompletionEntry | undefined): void {
    this.hideCompletions();
    if (!c) return;
    const ta = this.textarea;
    const caret = ta.selectionStart;
    const start = c.replace?.start ?? caret - wordBefore(ta.value, caret).length;
    const end = c.replace?.end ?? caret + wordAfter(ta.value, caret).length;
    ta.setSelectionRange(start, end);
    const text = c.insertText.endsWith('()') && ta.value[end] === '(' ? c.insertText.slice(0, -2) : c.insertText;
    if (!document.execCommand('insertText', false, text)) {
      ta.setRangeText(text, start, end, 'end');
      ta.dispatchEvent(new Event('input'));
    }
    if (text.endsWith('()')) ta.setSelectionRange(ta.selectionStart - 1, ta.selectionStart - 1);
  }

  private hideHover(): void {
    window.clearTimeout(this.hoverTimer);
    this.hoverSeq++;
    this.hoverBox.hidden = true;
  }

  private hideCompletions(): void {
    this.completionBox.hidden = true;
    this.completions = [];
  }

  private caretPixel(offset: number): { left: number; top: number } {
    this.measure();
    const { line, character } = this.positionAt(offset);
    const body = this.textarea.getBoundingClientRect();
    const host = this.element.getBoundingClientRect();
    const pad = parseFloat(getComputedStyle(this.textarea).paddingLeft) || 8;
    return {
      left: body.left - host.left + pad + character * this.charWidth - this.textarea.scrollLeft,
      top: body.top - host.top + pad + line * this.lineHeight - this.textarea.scrollTop,
    };
  }

  /** The diagnostics under an offset, then the hook's description; nothing when both are empty. */
  private async hover(clientX: number, clientY: number): Promise<void> {
    const seq = this.hoverSeq;
    this.measure();
    const rect = this.textarea.getBoundingClientRect();
    const pad = parseFloat(getComputedStyle(this.textarea).paddingLeft) || 8;
    const line = Math.floor((clientY - rect.top - pad + this.textarea.scrollTop) / this.lineHeight);
    const character = Math.floor((clientX - rect.left - pad + this.textarea.scrollLeft) / this.charWidth);
    if (line < 0 || character < 0 || line >= this.lineCount) return;
    const offset = this.offsetAt(line, character);
    if (this.positionAt(offset).character !== character) return; // past the end of the line
    const under = this.diagnostics.filter((d) => d.start <= offset && offset < Math.max(d.end, d.start + 1));
    const description = this.onHover ? await this.onHover(offset) : null;
    if (seq !== this.hoverSeq || (under.length === 0 && !description)) return;
    this.hoverBox.replaceChildren(
      ...under.map((d) => h('div', { class: `hover-diagnostic hover-${d.severity}`, 'data-code': d.code }, d.code ? h('strong', {}, d.code, ' ') : null, d.message)),
      ...(description ? [renderMarkdown(description)] : []),
    );
    const host = this.element.getBoundingClientRect();
    this.hoverBox.style.top = `${clientY - host.top + 14}px`;
    this.hoverBox.style.left = '0px';
    this.hoverBox.hidden = false;
    // beside the pointer, kept inside the editor when it is near the right edge
    this.hoverBox.style.left = `${Math.max(0, Math.min(clientX - host.left + 8, host.width - this.hoverBox.offsetWidth))}px`;
  }
}

function wordBefore(text: string, offset: number): string {
  return /[A-Za-z0-9_]*$/.exec(text.slice(0, offset))![0];
}

function wordAfter(text: string, offset: number): string {
  return /^[A-Za-z0-9_]*/.exec(text.slice(offset))![0];
}

export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
