import { serveProvider } from '../../server/provider/kit/index.js';
import { namespace, Readability, Slugify } from './text-tools.js';

/**
 * The same provider, started from code instead of the CLI:
 *
 *   CONSTELLATION_PROVIDER_ENGINES=127.0.0.1:9090 node dist/examples/providers/serve.js
 *
 * It registers with every engine listed, heartbeats, re-registers after an engine restart,
 * and leaves cleanly on SIGTERM (or once every engine has drained it).
 */
const engines = (process.env['CONSTELLATION_PROVIDER_ENGINES'] ?? '127.0.0.1:9090').split(',').map((s) => s.trim()).filter(Boolean);
const provider = await serveProvider({ namespace, modules: [Slugify, Readability], servers: engines });
process.stdout.write(`serving ${namespace} at ${provider.executorUrl}\n`);
const stop = () => void provider.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
void provider.drained().then(stop);
