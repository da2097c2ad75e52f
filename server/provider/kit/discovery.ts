import { lookup } from 'node:dns/promises';

/**
 * Finding engine instances for `serveProvider({ discover })`: every address a DNS name resolves
 * to (a Kubernetes headless service lists one per pod), asked again at every discovery round, so
 * engines that scale out are found.
 */
export function dnsDiscovery(name: string, port = 9090): () => Promise<string[]> {
  return async () => {
    const addresses = await lookup(name, { all: true });
    return addresses.map((a) => (a.family === 6 ? `[${a.address}]:${port}` : `${a.address}:${port}`));
  };
}
