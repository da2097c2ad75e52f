import type { ProviderAdvertising } from '../../cluster/provider-advertisement.js';
import type { AttachedListener, ServerHost } from '../host/listener.js';
import type { LifecycleState } from '../lifecycle.js';
import type { ProviderConfig } from './config.js';
import { advertisedProviders } from './advertised.js';
import { ProviderPort } from './port.js';
import { providerRoutes } from './routes.js';

/**
 * The provider port as one of the server's attached listeners: opened before the HTTP port
 * listens (a port already taken fails the start), its routes added to the HTTP API, drained with
 * the server (no new registrations; providers keep serving the executions still running, which
 * are awaited until the deadline), closed after it (every provider's modules leave the engine
 * and its stream ends with UNAVAILABLE, so it registers again when the server is back). In
 * cluster mode its providers are advertised to the other instances while it is open.
 */
export class ProviderListener implements AttachedListener {
  readonly name = 'provider-port';
  private port: ProviderPort | undefined;
  private advertising: ProviderAdvertising | undefined;

  constructor(private readonly config: ProviderConfig) {}

  /** The running port (after start). */
  get providerPort(): ProviderPort | undefined {
    return this.port;
  }

  async start(host: ServerHost): Promise<void> {
    host.routes(providerRoutes(() => this.port, this.config.drainDeadlineMs));
    this.port = await ProviderPort.start({
      engine: host.runtime.engine,
      config: this.config,
      logger: host.logger.child({ component: 'provider-port' }),
      registry: host.context.metrics.registry,
    });
    this.advertising = host.context.providerAdvertising;
    this.advertising?.attach(advertisedProviders(this.port.directory));
  }

  onStateChange(state: LifecycleState): void {
    if (state === 'Draining') this.port?.stopRegistrations();
  }

  async drain(deadline: number): Promise<void> {
    await this.port?.drain(deadline);
  }

  async close(): Promise<void> {
    await this.port?.close();
    this.advertising?.detach();
    this.advertising = undefined;
  }
}
