import type { DagViz } from './dag-viz.js';

/**
 * A layered (Sugiyama-style) layout: every node goes one layer below its deepest predecessor
 * (longest path), nodes within a layer are ordered by the mean position of their neighbours in
 * the layer before and after (a few barycentre sweeps reduce edge crossings), then layers are
 * centred. `TB` stacks layers top to bottom, `LR` left to right. Linear in edges per sweep.
 */

export interface LayoutOptions {
  readonly direction: 'TB' | 'LR';
  readonly nodeWidth?: number;
  readonly nodeHeight?: number;
  readonly nodeSpacing?: number;
  readonly layerSpacing?: number;
}

const SWEEPS = 4;

export function layoutDag(viz: DagViz, options: LayoutOptions): DagViz {
  const { direction, nodeWidth = 180, nodeHeight = 60, nodeSpacing = 40, layerSpacing = 100 } = options;
  viz.metadata.layoutDirection = direction;
  if (viz.nodes.length === 0) return viz;
  const index = new Map(viz.nodes.map((n, i) => [n.id, i]));
  const preds: number[][] = viz.nodes.map(() => []);
  const succs: number[][] = viz.nodes.map(() => []);
  for (const e of viz.edges) {
    const s = index.get(e.source);
    const t = index.get(e.target);
    if (s === undefined || t === undefined || s === t) continue;
    preds[t]!.push(s);
    succs[s]!.push(t);
  }
  // longest-path layering in topological order (Kahn); nodes left over by a cycle go last
  const layer = new Array<number>(viz.nodes.length).fill(0);
  const indegree = preds.map((p) => p.length);
  const queue = indegree.flatMap((d, i) => (d === 0 ? [i] : []));
  const placed = new Array<boolean>(viz.nodes.length).fill(false);
  for (let q = 0; q < queue.length; q++) {
    const n = queue[q]!;
    placed[n] = true;
    for (const s of succs[n]!) {
      layer[s] = Math.max(layer[s]!, layer[n]! + 1);
      if (--indegree[s]! === 0) queue.push(s);
    }
  }
  const deepest = Math.max(...layer);
  placed.forEach((p, i) => { if (!p) layer[i] = deepest + 1; });
  const layers: number[][] = [];
  layer.forEach((l, i) => (layers[l] ??= []).push(i));
  const order = new Array<number>(viz.nodes.length).fill(0);
  const renumber = () => layers.forEach((row) => row?.forEach((n, i) => (order[n] = i)));
  renumber();
  const barycentre = (n: number, neighbours: readonly number[]) =>
    neighbours.length === 0 ? order[n]! : neighbours.reduce((sum, m) => sum + order[m]!, 0) / neighbours.length;
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const down = sweep % 2 === 0;
    const rows = down ? layers : [...layers].reverse();
    for (const row of rows) {
      if (!row) continue;
      const keys = new Map(row.map((n) => [n, barycentre(n, down ? preds[n]! : succs[n]!)]));
      row.sort((a, b) => keys.get(a)! - keys.get(b)! || order[a]! - order[b]!);
      row.forEach((n, i) => (order[n] = i));
    }
  }
  const widest = Math.max(...layers.map((row) => row?.length ?? 0));
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  layers.forEach((row, l) => {
    if (!row) return;
    const offset = ((widest - row.length) * (nodeWidth + nodeSpacing)) / 2;
    row.forEach((n, i) => {
      const across = offset + i * (nodeWidth + nodeSpacing);
      const along = l * ((direction === 'TB' ? nodeHeight : nodeWidth) + layerSpacing);
      const x = direction === 'TB' ? across : along;
      const y = direction === 'TB' ? along : (across / (nodeWidth + nodeSpacing)) * (nodeHeight + nodeSpacing);
      viz.nodes[n]!.position = { x, y };
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x + nodeWidth);
      maxY = Math.max(maxY, y + nodeHeight);
    });
  });
  viz.metadata.bounds = { minX, minY, maxX, maxY };
  return viz;
}
