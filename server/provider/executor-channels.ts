import * as grpc from '@grpc/grpc-js';
import { services } from './proto.js';

/**
 * One gRPC client (one HTTP/2 channel) per executor address, created on first use and closed
 * when no connection uses the address any more.
 *
 * Executors are called in plaintext, as the reference does, unless the provider said at
 * registration that its executor serves TLS; then the channel verifies it with the configured
 * CA (or the system's roots). A host name is resolved by gRPC's DNS resolver, which returns
 * every address and tries them in turn — so `localhost:9091` (what the reference SDK advertises)
 * reaches an executor listening on IPv4 only, wherever `localhost` resolves to `::1` first.
 */

export type ExecutorClient = grpc.Client & {
  execute(request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: unknown) => void): grpc.ClientUnaryCall;
};

export class ExecutorChannels {
  private readonly clients = new Map<string, ExecutorClient>();

  constructor(
    private readonly maxMessageBytes: number,
    /** PEM of the CA that signs TLS executors' certificates; undefined: the system's roots. */
    private readonly ca: Buffer | undefined,
  ) {}

  get(target: string, tls: boolean): ExecutorClient {
    const key = channelKey(target, tls);
    let client = this.clients.get(key);
    if (!client) {
      const credentials = tls ? grpc.credentials.createSsl(this.ca ?? null) : grpc.credentials.createInsecure();
      client = new (services().ModuleExecutor)(target, credentials, {
        'grpc.max_receive_message_length': this.maxMessageBytes,
        'grpc.max_send_message_length': this.maxMessageBytes,
        // a dead executor is noticed when a call fails; do not keep reconnecting in between
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 2000,
      }) as unknown as ExecutorClient;
      this.clients.set(key, client);
    }
    return client;
  }

  close(target: string): void {
    for (const tls of [false, true]) {
      const key = channelKey(target, tls);
      const client = this.clients.get(key);
      if (client) {
        this.clients.delete(key);
        client.close();
      }
    }
  }

  closeAll(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

function channelKey(target: string, tls: boolean): string {
  return (tls ? 'tls:' : 'plain:') + target;
}
