import type { AttachedListener, ServerHost } from '../host/listener.js';
import { DashboardAssets } from './assets.js';
import { DashboardRuns } from './execute.js';
import { dashboardRoutes } from './routes.js';

/**
 * The web dashboard as a listener of the server (on unless `CONSTELLATION_DASHBOARD_ENABLED` is
 * false): adds the shell, its static files and the `/api/v1` routes at start, and on drain waits
 * for the runs it started in the background. The live-events WebSocket is not part of it: that
 * route is always mounted.
 */
export class DashboardListener implements AttachedListener {
  readonly name = 'dashboard';
  private runs: DashboardRuns | undefined;

  constructor(private readonly assets: DashboardAssets = new DashboardAssets()) {}

  async start(host: ServerHost): Promise<void> {
    if (!this.assets.built) host.logger.warn('the dashboard assets are not built (npm run build): /dashboard answers 404');
    this.runs = new DashboardRuns(host.context);
    host.routes(dashboardRoutes(host.context, this.assets, this.runs, { lsp: () => host.hasWebSocket('/lsp') }));
  }

  async drain(deadline: number): Promise<void> {
    await this.runs?.settle(deadline);
  }

  async close(): Promise<void> {}
}
