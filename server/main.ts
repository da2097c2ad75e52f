import { pathToFileURL } from 'node:url';
import { createServer } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { LspListener } from './lsp/listener.js';
import { loadLspSettings } from './lsp/settings.js';
import { loadProviderConfig } from './provider/config.js';
import { ProviderListener } from './provider/listener.js';

/**
 * `npm start`: the server on its embedded defaults (example modules loaded, data under
 * `./.data`, one instance, no NATS, the language server at `/lsp`), configured by
 * CONSTELLATION_* variables; with the provider port when `CONSTELLATION_PROVIDER_PORT` is set
 * (or `CONSTELLATION_PROVIDER_ENABLED=true`). SIGTERM/SIGINT drain gracefully and exit 0.
 */
export async function main(env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  let config;
  let providers;
  let lsp;
  try {
    config = loadConfig(env);
    providers = loadProviderConfig(env);
    lsp = loadLspSettings(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`constellation: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const listeners = [new LspListener(lsp), ...(providers ? [new ProviderListener(providers)] : [])];
  const server = await createServer(config, { listeners }).catch((e: unknown) => {
    process.stderr.write(`constellation: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
  let signalled = false;
  const stop = (signal: string) => {
    if (signalled) return;
    signalled = true;
    server.context.logger.info({ signal }, 'shutdown requested');
    server.shutdown().then(
      () => process.exit(0),
      (e: unknown) => {
        server.context.logger.error({ err: String(e) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry) void main();
