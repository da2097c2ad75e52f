/**
 * "Did you mean" support: case-insensitive Levenshtein distance ≤ 2, sorted by
 * distance (stable), at most 3. Unlike the reference we keep names that differ only in case (at
 * distance 0): `uppercase(x)` should suggest `Uppercase`, which is the likeliest fix.
 */

export function levenshtein(a: string, b: string, limit = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (cur[j]! < rowMin) rowMin = cur[j]!;
    }
    if (rowMin > limit) return limit + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

export function closestNames(target: string, candidates: Iterable<string>, maxDistance = 2, max = 3): string[] {
  const lower = target.toLowerCase();
  const scored: { name: string; d: number }[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(c)) continue;
    seen.add(c);
    const cl = c.toLowerCase();
    if (c === target) continue;
    const d = levenshtein(lower, cl, maxDistance);
    if (d <= maxDistance) scored.push({ name: c, d });
  }
  scored.sort((x, y) => x.d - y.d);
  return scored.slice(0, max).map((s) => s.name);
}
