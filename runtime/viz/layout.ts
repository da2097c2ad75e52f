/**
 * Layered ("Sugiyama-style") layout of a DAG, written for the dashboard's 1000-node graphs: it
 * runs in the browser on every preview, so it is index-based (typed arrays, no maps in the inner
 * loops) and linear-ish in nodes + edges.
 *
 * 1. Layers: longest path from the sources; a source that feeds only deeper nodes (a literal,
 *    an unused-until-later input) moves down next to its first consumer.
 * 2. Long edges: every node gets at most one chain of virtual nodes ("bus"), one per layer it
 *    must cross, shared by all its long edges. An input read by a hundred later nodes costs one
 *    chain, not a hundred (per-edge dummies made the 1000-node program 15 times bigger).
 * 3. Order within layers: barycentre sweeps, down then up, a fixed number of times.
 * 4. Coordinates: layers stacked along the rank axis; along the order axis, priority placement
 *    (trunks first and straight, then real nodes near their neighbours), a few sweeps.
 * 5. Edges: each bus is drawn once as a trunk; an edge is the hop from its source (or the
 *    source's trunk) to the target.
 *
 * `TB` stacks layers top to bottom, `LR` left to right (the axes are swapped at the end).
 * No DOM, no imports: the same file runs in Node (tests, the LSP) and in the page.
 */

export interface LayoutNodeInput {
  /** Extent across the graph's flow (width in TB). */
  readonly width: number;
  /** Extent along the flow (height in TB). */
  readonly height: number;
}

export interface LayoutEdgeInput {
  /** Index into the node array. */
  readonly source: number;
  readonly target: number;
}

export interface LayoutOptions {
  readonly direction?: 'TB' | 'LR';
  /** Space between neighbours in a layer. Default 24. */
  readonly nodeGap?: number;
  /** Space between layers. Default 56. */
  readonly layerGap?: number;
  /** Ordering sweeps (each one down and one up). Default 6. */
  readonly sweeps?: number;
}

export interface LayoutResult {
  /** Centre of every node (same index as the input). */
  readonly x: Float64Array;
  readonly y: Float64Array;
  /**
   * Per input edge: a polyline [x0, y0, x1, y1, …] (empty for a dropped self-loop or bad index).
   * An edge that crosses layers starts where it leaves its source's trunk.
   */
  readonly edges: readonly number[][];
  /** The shared trunks of long edges: one per source node whose edges cross layers. */
  readonly trunks: readonly { readonly source: number; readonly points: readonly number[] }[];
  readonly bounds: { readonly minX: number; readonly minY: number; readonly maxX: number; readonly maxY: number };
  readonly layerCount: number;
  /** Real + virtual nodes placed (for diagnostics and the benchmark). */
  readonly placedCount: number;
}

export function layoutGraph(nodes: readonly LayoutNodeInput[], edges: readonly LayoutEdgeInput[], options: LayoutOptions = {}): LayoutResult {
  const lr = options.direction === 'LR';
  const nodeGap = options.nodeGap ?? 24;
  const layerGap = options.layerGap ?? 56;
  const sweeps = options.sweeps ?? 6;
  const n = nodes.length;

  // ---- adjacency of the real graph (valid, non-loop edges)
  const valid: boolean[] = edges.map((e) => e.source !== e.target && e.source >= 0 && e.target >= 0 && e.source < n && e.target < n);
  const outDeg = new Int32Array(n);
  const inDeg = new Int32Array(n);
  edges.forEach((e, i) => {
    if (!valid[i]) return;
    outDeg[e.source]!++;
    inDeg[e.target]!++;
  });
  const outStart = prefix(outDeg);
  const inStart = prefix(inDeg);
  const outList = new Int32Array(outStart[n]!);
  const inList = new Int32Array(inStart[n]!);
  {
    const oFill = outStart.slice(0, n);
    const iFill = inStart.slice(0, n);
    edges.forEach((e, i) => {
      if (!valid[i]) return;
      outList[oFill[e.source]!++] = e.target;
      inList[iFill[e.target]!++] = e.source;
    });
  }

  // ---- 1. layers (Kahn; nodes on a cycle, which a DAG never has, are appended in index order)
  const layer = new Int32Array(n);
  const remaining = Int32Array.from(inDeg);
  const topo: number[] = [];
  for (let v = 0; v < n; v++) if (remaining[v] === 0) topo.push(v);
  for (let head = 0; head < topo.length; head++) {
    const u = topo[head]!;
    for (let k = outStart[u]!; k < outStart[u + 1]!; k++) {
      const v = outList[k]!;
      if (layer[u]! + 1 > layer[v]!) layer[v] = layer[u]! + 1;
      if (--remaining[v]! === 0) topo.push(v);
    }
  }
  if (topo.length < n) {
    const seen = new Uint8Array(n);
    for (const v of topo) seen[v] = 1;
    for (let v = 0; v < n; v++) if (!seen[v]) topo.push(v);
  }
  // sources that feed only deeper nodes sit just above their first consumer
  for (let v = 0; v < n; v++) {
    if (inDeg[v] !== 0 || outDeg[v] === 0) continue;
    let min = Infinity;
    for (let k = outStart[v]!; k < outStart[v + 1]!; k++) min = Math.min(min, layer[outList[k]!]!);
    if (min - 1 > layer[v]!) layer[v] = min - 1;
  }
  // an edge must go downwards even after the moves above (and on cycles): ensure layer[t] > layer[s]
  for (const u of topo) {
    for (let k = outStart[u]!; k < outStart[u + 1]!; k++) {
      const v = outList[k]!;
      if (layer[v]! <= layer[u]!) layer[v] = layer[u]! + 1;
    }
  }
  let layerCount = 0;
  for (let v = 0; v < n; v++) layerCount = Math.max(layerCount, layer[v]! + 1);

  // ---- 2. buses: per source, virtual nodes on layers layer[u]+1 … (deepest target) - 1
  const busEnd = new Int32Array(n); // deepest layer a bus must reach (exclusive of the target layer)
  for (let u = 0; u < n; u++) {
    let deepest = layer[u]!;
    for (let k = outStart[u]!; k < outStart[u + 1]!; k++) deepest = Math.max(deepest, layer[outList[k]!]! - 1);
    busEnd[u] = deepest;
  }
  const busStart = new Int32Array(n + 1); // virtual ids of u's bus: n + busStart[u] + (l - layer[u] - 1)
  for (let u = 0; u < n; u++) busStart[u + 1] = busStart[u]! + Math.max(0, busEnd[u]! - layer[u]!);
  const total = n + busStart[n]!;
  const owner = new Int32Array(total); // the real node a virtual node belongs to (itself for real ones)
  const vLayer = new Int32Array(total);
  for (let v = 0; v < n; v++) {
    owner[v] = v;
    vLayer[v] = layer[v]!;
  }
  for (let u = 0; u < n; u++) {
    for (let i = 0, l = layer[u]! + 1; l <= busEnd[u]!; i++, l++) {
      owner[n + busStart[u]! + i] = u;
      vLayer[n + busStart[u]! + i] = l;
    }
  }
  /** The node on layer `l - 1` that carries u's value into layer `l` (u itself or a bus node). */
  const carrier = (u: number, l: number): number => (l - 1 === layer[u] ? u : n + busStart[u]! + (l - 2 - layer[u]!));

  // segment adjacency between consecutive layers (up = towards sources)
  const upDeg = new Int32Array(total);
  const downDeg = new Int32Array(total);
  const segments: number[] = []; // pairs (upper, lower)
  const addSegment = (a: number, b: number) => {
    segments.push(a, b);
    downDeg[a]!++;
    upDeg[b]!++;
  };
  for (let u = 0; u < n; u++) {
    const chain = busEnd[u]! - layer[u]!;
    for (let i = 0; i < chain; i++) addSegment(i === 0 ? u : n + busStart[u]! + i - 1, n + busStart[u]! + i);
  }
  // real targets: one segment per distinct (carrier, target) pair
  const lastLinked = new Int32Array(total).fill(-1);
  for (let v = 0; v < n; v++) {
    for (let k = inStart[v]!; k < inStart[v + 1]!; k++) {
      const c = carrier(inList[k]!, layer[v]!);
      if (lastLinked[c] === v) continue;
      lastLinked[c] = v;
      addSegment(c, v);
    }
  }
  const downStart = prefix(downDeg);
  const upStart = prefix(upDeg);
  const downList = new Int32Array(segments.length / 2);
  const upList = new Int32Array(segments.length / 2);
  {
    const dFill = downStart.slice(0, total);
    const uFill = upStart.slice(0, total);
    for (let s = 0; s < segments.length; s += 2) {
      const a = segments[s]!;
      const b = segments[s + 1]!;
      downList[dFill[a]!++] = b;
      upList[uFill[b]!++] = a;
    }
  }

  // ---- 3. ordering: initial order by a depth-first walk from the sources, then barycentres
  const layers: number[][] = Array.from({ length: layerCount }, () => []);
  {
    const visited = new Uint8Array(total);
    const stack: number[] = [];
    const roots: number[] = [];
    for (let v = 0; v < total; v++) if (upDeg[v] === 0) roots.push(v);
    for (let r = roots.length - 1; r >= 0; r--) stack.push(roots[r]!);
    while (stack.length > 0) {
      const v = stack.pop()!;
      if (visited[v]) continue;
      visited[v] = 1;
      layers[vLayer[v]!]!.push(v);
      for (let k = downStart[v + 1]! - 1; k >= downStart[v]!; k--) if (!visited[downList[k]!]) stack.push(downList[k]!);
    }
    for (let v = 0; v < total; v++) if (!visited[v]) layers[vLayer[v]!]!.push(v);
  }
  const pos = new Float64Array(total);
  const renumber = (row: number[]) => {
    for (let i = 0; i < row.length; i++) pos[row[i]!] = i;
  };
  layers.forEach(renumber);
  const bary = new Float64Array(total);
  const sortBy = (row: number[], useUp: boolean) => {
    if (row.length < 2) return;
    const start = useUp ? upStart : downStart;
    const list = useUp ? upList : downList;
    for (const v of row) {
      const a = start[v]!;
      const b = start[v + 1]!;
      if (a === b) {
        bary[v] = pos[v]!;
        continue;
      }
      let sum = 0;
      for (let k = a; k < b; k++) sum += pos[list[k]!]!;
      bary[v] = sum / (b - a);
    }
    // insertion sort: rows are short, and a comparator callback is slow before the JIT warms up
    for (let i = 1; i < row.length; i++) {
      const v = row[i]!;
      const bv = bary[v]!;
      const pv = pos[v]!;
      let j = i - 1;
      while (j >= 0 && (bary[row[j]!]! > bv || (bary[row[j]!]! === bv && pos[row[j]!]! > pv))) {
        row[j + 1] = row[j]!;
        j--;
      }
      row[j + 1] = v;
    }
    renumber(row);
  };
  for (let s = 0; s < sweeps; s++) {
    for (let l = 1; l < layerCount; l++) sortBy(layers[l]!, true);
    for (let l = layerCount - 2; l >= 0; l--) sortBy(layers[l]!, false);
  }
  for (let l = 1; l < layerCount; l++) sortBy(layers[l]!, true);

  // ---- 4. coordinates (o = across the flow, r = along it)
  const across = new Float64Array(total); // extent across the flow
  const along = new Float64Array(total);
  for (let v = 0; v < n; v++) {
    across[v] = lr ? nodes[v]!.height : nodes[v]!.width;
    along[v] = lr ? nodes[v]!.width : nodes[v]!.height;
  }
  const virtualExtent = nodeGap / 2;
  for (let v = n; v < total; v++) across[v] = virtualExtent;
  const o = new Float64Array(total);
  const r = new Float64Array(total);
  let rank = 0;
  const layerThickness = new Float64Array(layerCount);
  for (let l = 0; l < layerCount; l++) {
    let thick = 0;
    for (const v of layers[l]!) thick = Math.max(thick, along[v]!);
    layerThickness[l] = thick;
    for (const v of layers[l]!) r[v] = rank + thick / 2;
    rank += thick + layerGap;
  }
  const sep = (a: number, b: number) => (across[a]! + across[b]!) / 2 + (a >= n && b >= n ? nodeGap / 4 : nodeGap);
  for (const row of layers) {
    let at = 0;
    for (let i = 0; i < row.length; i++) {
      if (i > 0) at += sep(row[i - 1]!, row[i]!);
      o[row[i]!] = at;
    }
    const shift = at / 2;
    for (const v of row) o[v]! -= shift;
  }
  const desired = new Float64Array(total);
  const priority = new Float64Array(total);
  const placed = new Uint8Array(total);
  let order = new Int32Array(64);
  // Priority placement (Sugiyama's "priority method"): trunk nodes first, exactly where their
  // trunk runs (trunks stay straight); then real nodes, the best connected first, each as close
  // to the mean of its real neighbours as the already placed nodes of its row allow. Nothing is
  // ever pushed by a node of lower priority, so no layer shifts its neighbours sideways (a
  // push-apart-and-average scheme made deep graphs drift a little further at every layer).
  // a trunk leaves its source beside it, on the side where its first node was ordered, so the
  // source's own continuation below keeps its column
  const side = new Float64Array(total);
  for (let u = 0; u < n; u++) {
    if (busEnd[u]! <= layer[u]!) continue;
    const first = n + busStart[u]!;
    let sign = 1;
    for (let k = downStart[u]!; k < downStart[u + 1]!; k++) {
      const w = downList[k]!;
      if (w < n) {
        sign = pos[first]! < pos[w]! ? -1 : 1;
        break;
      }
    }
    side[first] = sign * (across[u]! / 2 + nodeGap / 2);
  }
  /** Where a trunk node wants to be: in line with its trunk (above, below, or both). */
  const trunkTarget = (v: number, useUp: boolean, useDown: boolean): number => {
    const up = upList[upStart[v]!]!; // a trunk node has exactly one node above: the previous one or the source
    const above = o[up]! + side[v]!;
    let below: number | undefined;
    for (let k = downStart[v]!; k < downStart[v + 1]!; k++) {
      if (downList[k]! >= n) below = o[downList[k]!]!;
    }
    if (useUp && useDown) return below === undefined ? above : (above + below) / 2;
    if (useUp) return above;
    return below ?? above;
  };
  const place = (row: number[], useUp: boolean, useDown: boolean) => {
    for (const v of row) {
      placed[v] = 0;
      if (v >= n) {
        desired[v] = trunkTarget(v, useUp, useDown);
        priority[v] = Number.MAX_SAFE_INTEGER;
        continue;
      }
      // (no closure per node here: this loop runs cold, in the interpreter, on a first layout)
      let sum = 0;
      let count = 0;
      let realSum = 0;
      let realCount = 0;
      for (let pass = 0; pass < 2; pass++) {
        if (pass === 0 ? !useUp : !useDown) continue;
        const start = pass === 0 ? upStart : downStart;
        const list = pass === 0 ? upList : downList;
        for (let k = start[v]!; k < start[v + 1]!; k++) {
          const w = list[k]!;
          sum += o[w]!;
          count++;
          if (w < n) {
            realSum += o[w]!;
            realCount++;
          }
        }
      }
      desired[v] = realCount > 0 ? realSum / realCount : count > 0 ? sum / count : o[v]!;
      priority[v] = count;
    }
    if (row.length === 1) {
      o[row[0]!] = desired[row[0]!]!;
      return;
    }
    // row indices by priority, highest first (stable; insertion sort into a reused buffer)
    if (order.length < row.length) order = new Int32Array(row.length * 2);
    for (let i = 0; i < row.length; i++) {
      const pv = priority[row[i]!]!;
      let j = i - 1;
      while (j >= 0 && priority[row[order[j]!]!]! < pv) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = i;
    }
    for (let q = 0; q < row.length; q++) {
      const i = order[q]!;
      const v = row[i]!;
      let lo = -Infinity;
      let hi = Infinity;
      for (let j = i - 1, gap = 0; j >= 0; j--) {
        gap += sep(row[j]!, row[j + 1]!);
        if (placed[row[j]!]) {
          lo = o[row[j]!]! + gap;
          break;
        }
      }
      for (let j = i + 1, gap = 0; j < row.length; j++) {
        gap += sep(row[j - 1]!, row[j]!);
        if (placed[row[j]!]) {
          hi = o[row[j]!]! - gap;
          break;
        }
      }
      o[v] = lo > hi ? lo : Math.min(hi, Math.max(lo, desired[v]!));
      placed[v] = 1;
    }
  };
  for (let s = 0; s < 3; s++) {
    for (let l = 1; l < layerCount; l++) place(layers[l]!, true, false);
    for (let l = layerCount - 2; l >= 0; l--) place(layers[l]!, false, true);
  }
  for (let l = 0; l < layerCount; l++) place(layers[l]!, true, true);

  // ---- 5. output: real centres, edge polylines, bounds
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let v = 0; v < n; v++) {
    x[v] = lr ? r[v]! : o[v]!;
    y[v] = lr ? o[v]! : r[v]!;
    const hw = nodes[v]!.width / 2;
    const hh = nodes[v]!.height / 2;
    minX = Math.min(minX, x[v]! - hw);
    maxX = Math.max(maxX, x[v]! + hw);
    minY = Math.min(minY, y[v]! - hh);
    maxY = Math.max(maxY, y[v]! + hh);
  }
  if (n === 0) minX = minY = maxX = maxY = 0;
  const point = (v: number, alongOffset: number, out: number[]) => {
    const a = o[v]!;
    const b = r[v]! + alongOffset;
    if (lr) out.push(b, a);
    else out.push(a, b);
  };
  // a long edge is drawn as its source's trunk (once) plus a hop from the trunk to the target:
  // drawing every edge along the whole trunk made paths of O(edges × layers) points
  const polylines = edges.map((e, i) => {
    if (!valid[i]) return [];
    const line: number[] = [];
    const s = e.source;
    const t = e.target;
    const c = carrier(s, layer[t]!);
    point(c, c === s ? along[s]! / 2 : 0, line);
    point(t, -along[t]! / 2, line);
    return line;
  });
  const trunks: { source: number; points: number[] }[] = [];
  for (let u = 0; u < n; u++) {
    const chain = busEnd[u]! - layer[u]!;
    if (chain <= 0) continue;
    const points: number[] = [];
    point(u, along[u]! / 2, points);
    for (let i = 0; i < chain; i++) point(n + busStart[u]! + i, 0, points);
    trunks.push({ source: u, points });
  }
  return { x, y, edges: polylines, trunks, bounds: { minX, minY, maxX, maxY }, layerCount, placedCount: total };
}

/** Exclusive prefix sums with a final total: start[i] … start[i + 1] is i's range. */
function prefix(counts: Int32Array): Int32Array {
  const out = new Int32Array(counts.length + 1);
  for (let i = 0; i < counts.length; i++) out[i + 1] = out[i]! + counts[i]!;
  return out;
}
