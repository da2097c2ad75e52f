import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * A real HTTP dependency for the cluster tests, in the test process: the fixture modules of
 * fixtures/modules/dependency.ts call it from the instances, and it counts what actually reaches
 * it. Paths starting with `dead` answer 500; every other path answers 200 with a body that
 * changes on every call (`<path>#<n>`), so a recomputed result is told apart from a cached one.
 */

export const DEPENDENCY_MODULES_JS = fileURLToPath(new URL('../fixtures/modules/dependency.js', import.meta.url));

export interface Dependency {
  readonly url: string;
  /** Calls received for `path` (without the leading slash). */
  calls(path: string): number;
  close(): Promise<void>;
}

export async function startDependency(): Promise<Dependency> {
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').slice(1);
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    res.writeHead(path.startsWith('dead') ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(`${path}#${n}`);
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
