/** The dashboard's routes (page, assets, live events, gallery, preview). */
import type { DashboardDeps, HttpRoute } from '../fleet/http/types.js';

export function createDashboard(_deps: DashboardDeps): HttpRoute & { close(): void } {
  return Object.assign(() => false, { close() {} });
}
