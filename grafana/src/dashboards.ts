// Every dashboard, rendered to the exact JSON text committed under grafana/dashboards/.
import { angorDashboard } from './angor.js';
import { DASHBOARD_UIDS, type Json } from './common.js';
import { crowdfundDashboard } from './crowdfund.js';
import { overviewDashboard } from './overview.js';

export const DASHBOARDS: Record<string, () => Json> = {
  [`${DASHBOARD_UIDS.overview}.json`]: overviewDashboard,
  [`${DASHBOARD_UIDS.crowdfund}.json`]: crowdfundDashboard,
  [`${DASHBOARD_UIDS.angor}.json`]: angorDashboard,
};

/** File name → file content, as `npm run dashboards` writes them. */
export function renderDashboards(): Map<string, string> {
  return new Map(Object.entries(DASHBOARDS).map(([file, build]) => [file, `${JSON.stringify(build(), null, 2)}\n`]));
}
