import { h, type Child } from './dom.js';

/**
 * The Markdown the language server writes in hover and completion documentation, as DOM nodes:
 * fenced code blocks, `#` headings, `- ` list items, paragraphs, inline `code` and **bold**.
 * Anything else stays text. Built with text nodes only (never HTML), so a name or a description
 * cannot become markup.
 */
export function renderMarkdown(markdown: string): HTMLElement {
  const root = h('div', { class: 'md' });
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  let paragraph: string[] = [];
  let list: HTMLUListElement | undefined;
  const flush = () => {
    if (paragraph.length > 0) root.append(h('p', {}, ...inline(paragraph.join(' '))));
    paragraph = [];
    list = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^\s*```/.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]!); i++) code.push(lines[i]!);
      root.append(h('pre', {}, h('code', {}, code.join('\n'))));
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    const item = /^\s*[-*]\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      root.append(h('h4', {}, ...inline(heading[1]!)));
    } else if (item) {
      if (paragraph.length > 0) flush();
      list ??= root.appendChild(h('ul', {}));
      list.append(h('li', {}, ...inline(item[1]!)));
    } else if (line.trim() === '') {
      flush();
    } else {
      list = undefined;
      paragraph.push(line.trim());
    }
  }
  flush();
  return root;
}

/** `code` and **bold** runs within a line. */
function inline(text: string): Child[] {
  const out: Child[] = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(m[1] !== undefined ? h('code', {}, m[1]) : h('strong', {}, m[2]!));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
