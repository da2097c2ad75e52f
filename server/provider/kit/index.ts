/**
 * The provider kit: serve `defineModule` modules to Constellation engines over gRPC. Importable
 * on its own (`constellation/provider-kit`), without the server.
 */
export { serveProvider, type ServeProviderOptions, type ServedProvider, type ProviderStatus } from './serve.js';
export { dnsDiscovery } from './discovery.js';
export { RegistrationRefused, type LinkState } from './engine-link.js';
export { defineModule, type ConstellationModule, type ModuleContext } from '../../../runtime/modules/define.js';
