import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { layoutGraph, type LayoutEdgeInput } from '../../runtime/viz/layout.js';

/** The layered layout (runtime/viz/layout.ts): layering, no overlaps, directions, trunks, odd input. */

const box = { width: 80, height: 30 };

function check(nodes: number, edges: LayoutEdgeInput[], direction: 'TB' | 'LR' = 'TB') {
  const sizes = Array.from({ length: nodes }, () => box);
  const l = layoutGraph(sizes, edges, { direction });
  const along = (i: number) => (direction === 'TB' ? l.y[i]! : l.x[i]!);
  const across = (i: number) => (direction === 'TB' ? l.x[i]! : l.y[i]!);
  // every edge points down the flow
  for (const e of edges) if (e.source !== e.target) assert.ok(along(e.target) > along(e.source), `edge ${e.source}→${e.target} does not go down the flow`);
  // no two nodes overlap
  for (let i = 0; i < nodes; i++) {
    for (let j = i + 1; j < nodes; j++) {
      const apartAlong = Math.abs(along(i) - along(j)) >= (direction === 'TB' ? box.height : box.width);
      const apartAcross = Math.abs(across(i) - across(j)) >= (direction === 'TB' ? box.width : box.height);
      assert.ok(apartAlong || apartAcross, `nodes ${i} and ${j} overlap`);
    }
  }
  for (let i = 0; i < nodes; i++) {
    assert.ok(l.x[i]! - box.width / 2 >= l.bounds.minX - 1e-6 && l.x[i]! + box.width / 2 <= l.bounds.maxX + 1e-6);
    assert.ok(l.y[i]! - box.height / 2 >= l.bounds.minY - 1e-6 && l.y[i]! + box.height / 2 <= l.bounds.maxY + 1e-6);
  }
  return l;
}

describe('layered layout', () => {
  test('a diamond: layers follow the edges, the two middle nodes side by side', () => {
    const l = check(4, [{ source: 0, target: 1 }, { source: 0, target: 2 }, { source: 1, target: 3 }, { source: 2, target: 3 }]);
    assert.equal(l.layerCount, 3);
    assert.equal(l.y[1], l.y[2]);
    assert.notEqual(l.x[1], l.x[2]);
    assert.equal(l.trunks.length, 0);
  });

  test('LR swaps the axes', () => {
    const edges = [{ source: 0, target: 1 }, { source: 1, target: 2 }];
    const tb = check(3, edges, 'TB');
    const lr = check(3, edges, 'LR');
    assert.ok(tb.y[2]! > tb.y[0]! && tb.x[2] === tb.x[0]);
    assert.ok(lr.x[2]! > lr.x[0]! && lr.y[2] === lr.y[0]);
  });

  test('a value read far below gets one trunk, whatever the number of readers; edges hop off it', () => {
    // 0 → 1 → 2 → … → 9 (a chain), and 0 read by 5, 7 and 9
    const edges: LayoutEdgeInput[] = [];
    for (let i = 0; i < 9; i++) edges.push({ source: i, target: i + 1 });
    edges.push({ source: 0, target: 5 }, { source: 0, target: 7 }, { source: 0, target: 9 });
    const l = check(10, edges);
    assert.equal(l.trunks.length, 1);
    assert.equal(l.trunks[0]!.source, 0);
    assert.equal(l.trunks[0]!.points.length / 2, 1 + 8); // from node 0 through layers 1…8
    for (const e of l.edges) assert.equal(e.length, 4); // every edge is one hop
  });

  test('a source used only deep down moves next to its reader', () => {
    const edges = [{ source: 0, target: 1 }, { source: 1, target: 2 }, { source: 2, target: 3 }, { source: 4, target: 3 }];
    const l = check(5, edges);
    assert.equal(l.y[4], l.y[2]); // node 4 sits one layer above node 3, not at the top
  });

  test('self-loops, bad indices and cycles do not break it', () => {
    const l = layoutGraph([box, box, box], [{ source: 0, target: 0 }, { source: 0, target: 7 }, { source: 1, target: 2 }, { source: 2, target: 1 }]);
    assert.deepEqual(l.edges[0], []);
    assert.deepEqual(l.edges[1], []);
    assert.ok([...l.x, ...l.y].every(Number.isFinite));
    assert.equal(layoutGraph([], []).layerCount, 0);
  });

  test('a wide random DAG of 300 nodes has no overlaps', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const edges: LayoutEdgeInput[] = [];
    for (let t = 1; t < 300; t++) for (let k = 0; k < 2; k++) edges.push({ source: Math.floor(rand() * t), target: t });
    check(300, edges);
  });
});
