import { layoutGraph } from './layout.js';
import type { DagVizIR, LayoutDirection } from './types.js';

/**
 * A visualization graph with every node placed (top-left corner of a `width` × `height` box) and
 * its bounds filled: the shape the reference's editor extension expects from the LSP's
 * `getDagVisualization` (the dashboard lays graphs out in the page instead).
 */
export function positioned(viz: DagVizIR, direction: LayoutDirection, box: { width: number; height: number } = { width: 180, height: 60 }): DagVizIR {
  const index = new Map(viz.nodes.map((n, i) => [n.id, i]));
  // the layout's width is across the flow: a node's width in TB, its height in LR
  const size = direction === 'TB' ? { width: box.width, height: box.height } : { width: box.height, height: box.width };
  const edges = viz.edges.map((e) => ({ source: index.get(e.source) ?? -1, target: index.get(e.target) ?? -1 }));
  const layout = layoutGraph(viz.nodes.map(() => size), edges, { direction });
  return {
    ...viz,
    nodes: viz.nodes.map((n, i) => ({ ...n, position: { x: layout.x[i]! - box.width / 2, y: layout.y[i]! - box.height / 2 } })),
    metadata: { ...viz.metadata, layoutDirection: direction, bounds: layout.bounds },
  };
}
