import * as grpc from '@grpc/grpc-js';

/** Binding and stopping a gRPC server: shared by the provider port and the kit's executor. */

/** Binds `host:port` (an IPv6 host gets its brackets); resolves with the port actually bound. */
export function bindServer(server: grpc.Server, host: string, port: number, credentials: grpc.ServerCredentials, what: string): Promise<number> {
  const address = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, bound) => (error ? reject(new Error(`cannot open ${what} ${address}: ${error.message}`)) : resolve(bound)));
  });
}

/** Lets calls in progress finish for up to `graceMs`, then cuts the rest. */
export function stopServer(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    force.unref();
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
