// The express app: /metrics, /health, /ready, the status page and /refresh. The only module
// family that imports express; sources reach it through the small functions in AppDeps.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { VERSION } from '../version.js';
import { requireBearer } from './auth.js';
import { renderConfiguration, type LandingSection, type LandingSource } from './landing.js';
import { STATUS_PAGE_CSP, loadStatus, renderStatusPage } from './status-page.js';

export interface AppDeps {
  mode: 'demo' | 'live';
  db: Kysely<Database>;
  metrics: MetricsRegistry;
  log: Logger;
  metricsToken: string | undefined;
  adminToken: string | undefined;
  /** Database open and migrated. */
  isReady: () => Promise<boolean>;
  /** Starts a sync of every source without waiting for it; returns the sources started. */
  refresh?: () => string[];
  landingSources: LandingSource[];
  /** Extra landing page tables (recent webhook deliveries, ...). */
  landingSections?: () => Promise<LandingSection[]>;
  webhookUrl?: string;
  /** GRAFANA_URL: the status page links to it. */
  grafanaUrl?: string;
  /** Routes mounted by other modules of http/ (webhooks, APIs). */
  mount?: Array<(app: Express) => void>;
  now?: () => number;
}

const wantsOpenMetrics = (req: Request) => /application\/openmetrics-text/i.test(req.get('accept') ?? '');

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));

  // Mounted first: the webhook POST, the hot path, is then the router's first layer (http/webhook-routes.ts).
  for (const mount of deps.mount ?? []) mount(app);

  app.get('/metrics', requireBearer(deps.metricsToken, '/metrics'), async (req, res, next) => {
    try {
      const out = await deps.metrics.render(wantsOpenMetrics(req), (collector, err) =>
        deps.log.error({ collector, err }, 'metrics collector failed'),
      );
      res.set('Content-Type', out.contentType).set('Cache-Control', 'no-store').send(out.body);
    } catch (err) {
      next(err);
    }
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', version: VERSION, mode: deps.mode, uptimeSeconds: Math.round(process.uptime()) });
  });

  app.get('/ready', async (_req, res) => {
    let ready = false;
    try {
      ready = await deps.isReady();
    } catch (err) {
      deps.log.warn({ err }, 'readiness check failed');
    }
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', database: ready ? 'migrated' : 'unavailable' });
  });

  app.post('/refresh', requireBearer(deps.adminToken, '/refresh'), (_req, res) => {
    const sources = deps.refresh ? deps.refresh() : [];
    res.status(202).json({ status: 'accepted', sources });
  });

  app.get('/', async (_req, res, next) => {
    try {
      const at = now();
      const [status, sync, sections] = await Promise.all([
        loadStatus(deps.db, at),
        deps.db.selectFrom('sync_state').selectAll().orderBy('source').execute(),
        deps.landingSections ? deps.landingSections() : Promise.resolve([]),
      ]);
      const configuration = renderConfiguration({
        version: VERSION,
        mode: deps.mode,
        sources: deps.landingSources,
        webhookUrl: deps.webhookUrl,
        sync: sync.map((s) => ({
          source: s.source,
          lastOutcome: s.last_outcome,
          lastSuccessAt: s.last_success_at,
          lastAttemptAt: s.last_attempt_at,
          lastErrorReason: s.last_error_reason,
          lastDurationSeconds: s.last_duration_seconds,
        })),
        metricsProtected: deps.metricsToken !== undefined,
        sections,
        now: at,
      });
      const html = renderStatusPage(status, {
        version: VERSION,
        mode: deps.mode,
        grafanaUrl: deps.grafanaUrl,
        metricsProtected: deps.metricsToken !== undefined,
        exportProtected: deps.adminToken !== undefined,
        webhooksApi: deps.webhookUrl !== undefined,
        configuration,
      });
      res.type('html').set('Content-Security-Policy', STATUS_PAGE_CSP).set('Cache-Control', 'no-store').send(html);
    } catch (err) {
      next(err);
    }
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });

  // Errors never leak stack traces or secrets to the client; the log has the details.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) deps.log.error({ err }, 'request failed');
    res.status(status).json({ error: status >= 500 ? 'internal_error' : 'bad_request' });
  });

  return app;
}
