import type { ExecutionSnapshot, SuspensionSummary } from '../engine/suspension.js';
import type { SuspensionStore } from './suspension-store.js';

/**
 * Paging of suspended-execution lists: (createdAt, executionId) order, an opaque cursor naming
 * the last item of the previous page, filters. Shared by every suspension store.
 */

export interface SuspensionFilter {
  readonly structuralHash?: string;
  readonly executionId?: string;
  readonly minResumptionCount?: number;
  readonly maxResumptionCount?: number;
}

export interface ListRequest {
  readonly filter?: SuspensionFilter;
  /** Page size; default (and maximum) 1000. */
  readonly limit?: number;
  /** `next` of the previous page. */
  readonly cursor?: string | null;
}

export interface SuspensionPage {
  readonly items: SuspensionSummary[];
  /** Cursor of the next page; null on the last. */
  readonly next: string | null;
}

export const MAX_PAGE = 1000;

export function matches(s: ExecutionSnapshot | SuspensionSummary, f: SuspensionFilter | undefined): boolean {
  if (!f) return true;
  if (f.structuralHash !== undefined && s.structuralHash !== f.structuralHash) return false;
  if (f.executionId !== undefined && s.executionId !== f.executionId) return false;
  if (f.minResumptionCount !== undefined && s.resumptionCount < f.minResumptionCount) return false;
  if (f.maxResumptionCount !== undefined && s.resumptionCount > f.maxResumptionCount) return false;
  return true;
}

/** One page of `summaries` (any order): sorted by (createdAt, executionId), after the cursor. */
export function page(summaries: Iterable<SuspensionSummary>, request: ListRequest = {}): SuspensionPage {
  const limit = Math.max(1, Math.min(MAX_PAGE, request.limit ?? MAX_PAGE));
  const after = request.cursor ? decodeCursor(request.cursor) : undefined;
  const sorted = [...summaries].filter((s) => matches(s, request.filter)).sort(byCreation);
  const start = after ? sorted.findIndex((s) => byCreation(s, after) > 0) : 0;
  const items = start < 0 ? [] : sorted.slice(start, start + limit);
  const last = items[items.length - 1];
  const next = last && start + limit < sorted.length ? encodeCursor(last) : null;
  return { items, next };
}

/** Every page of a list, for callers that want everything (an import, a test): a server pages instead. */
export async function listAll(store: SuspensionStore, filter?: SuspensionFilter): Promise<SuspensionSummary[]> {
  const out: SuspensionSummary[] = [];
  let cursor: string | null = null;
  do {
    const p: SuspensionPage = await store.list(filter ? { filter, cursor } : { cursor });
    out.push(...p.items);
    cursor = p.next;
  } while (cursor !== null);
  return out;
}

export function byCreation(a: { createdAt: string; executionId: string }, b: { createdAt: string; executionId: string }): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.executionId < b.executionId ? -1 : a.executionId > b.executionId ? 1 : 0;
}

export function encodeCursor(s: SuspensionSummary): string {
  return Buffer.from(JSON.stringify([s.createdAt, s.executionId])).toString('base64url');
}

/** The position a cursor names; undefined when it is not one of ours. */
export function decodeCursor(cursor: string): { createdAt: string; executionId: string } | undefined {
  try {
    const [createdAt, executionId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    return typeof createdAt === 'string' && typeof executionId === 'string' ? { createdAt, executionId } : undefined;
  } catch {
    return undefined;
  }
}

