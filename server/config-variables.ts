import { CLUSTER_VARIABLES } from './cluster-config.js';
import { SERVER_VARIABLES } from './config.js';
import { LSP_VARIABLES } from './lsp/settings.js';
import { PROVIDER_VARIABLES } from './provider/config.js';

/**
 * Every `CONSTELLATION_*` variable the server reads — its own, the cluster's, the provider port's,
 * the language server's — taken from the zod schemas that parse them, so the list cannot drift from the code.
 * The deployment files (Dockerfile, compose files, Kubernetes manifests) are checked against it:
 * a misspelt variable there would be ignored silently at run time.
 */
export const CONFIG_VARIABLES: ReadonlySet<string> = new Set([...SERVER_VARIABLES, ...CLUSTER_VARIABLES, ...PROVIDER_VARIABLES, ...LSP_VARIABLES]);
