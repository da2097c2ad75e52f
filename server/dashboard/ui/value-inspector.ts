import { h } from './dom.js';

/**
 * A JSON value as a collapsible tree (native `<details>`: keyboard and screen-reader friendly).
 * The first two levels start open; long lists show their first 200 entries.
 */

const MAX_ENTRIES = 200;

export function inspectValue(value: unknown, depth = 0): HTMLElement {
  if (value === null || value === undefined) return h('span', { class: 'json-null' }, 'null');
  if (typeof value === 'string') return h('span', { class: 'json-string' }, JSON.stringify(value));
  if (typeof value === 'number') return h('span', { class: 'json-number' }, String(value));
  if (typeof value === 'boolean') return h('span', { class: 'json-boolean' }, String(value));
  const isArray = Array.isArray(value);
  const entries: [string, unknown][] = isArray ? (value as unknown[]).map((v, i) => [String(i), v]) : Object.entries(value as Record<string, unknown>);
  const summary = isArray ? `Array(${entries.length})` : `{${entries.length} ${entries.length === 1 ? 'field' : 'fields'}}`;
  if (entries.length === 0) return h('span', { class: 'json-empty' }, isArray ? '[]' : '{}');
  const list = h('ul', { class: 'json-entries' });
  for (const [k, v] of entries.slice(0, MAX_ENTRIES)) list.append(h('li', {}, h('span', { class: 'json-key' }, isArray ? `${k}: ` : `${k}: `), inspectValue(v, depth + 1)));
  if (entries.length > MAX_ENTRIES) list.append(h('li', { class: 'json-more' }, `… ${entries.length - MAX_ENTRIES} more`));
  return h('details', { class: 'json-tree', open: depth < 2 }, h('summary', {}, summary), list);
}
