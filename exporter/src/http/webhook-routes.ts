// HTTP face of the webhook receiver: POST /webhooks/btcpay (and the old POST /webhook), the
// recent-deliveries JSON API and landing-page table. The raw body goes to the receiver untouched,
// because the signature covers the exact bytes; status codes follow BTCPay's retry rules.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { RecentDelivery } from '../store/webhook-log.js';
import { isTransientDbError } from '../store/connection.js';
import type { WebhookReceiver } from '../webhooks/receiver.js';
import { SIGNATURE_HEADER } from '../webhooks/signature.js';
import type { Logger } from '../log.js';
import { requireBearer } from './auth.js';
import type { LandingSection } from './landing.js';

export const WEBHOOK_PATHS = ['/webhooks/btcpay', '/webhook'];
export const API_WEBHOOKS_MAX_LIMIT = 500;

export interface WebhookRoutesOptions {
  receiver: WebhookReceiver;
  /** Recent deliveries, newest first (store/webhook-log.ts recentDeliveries bound to the db). */
  recent: (limit: number) => Promise<RecentDelivery[]>;
  log: Logger;
  maxBodyBytes: number;
  /** Requests per second per client IP; 0 turns the limit off. */
  rateLimitPerSecond: number;
  /** METRICS_TOKEN: when set, GET /api/webhooks needs it as a bearer token. */
  apiToken: string | undefined;
}

const resultBodies = new Map<string, Buffer>();
/** `{"result":"…"}` as bytes, built once per result. */
function resultBody(result: string): Buffer {
  let b = resultBodies.get(result);
  if (!b) resultBodies.set(result, (b = Buffer.from(JSON.stringify({ result }), 'utf8')));
  return b;
}

export function webhookRoutes(o: WebhookRoutesOptions): (app: Express) => void {
  const log = o.log.child({ component: 'webhooks' });
  return (app) => {
    const limiter =
      o.rateLimitPerSecond > 0
        ? [
            rateLimit({
              windowMs: 1000,
              limit: o.rateLimitPerSecond,
              standardHeaders: 'draft-8',
              legacyHeaders: false,
              // BTCPay retries a 429, so nothing is lost. It is counted (store and event unknown: the
              // body is never read) but not logged row by row: a flood must not reach the database.
              handler: (_req, res) => {
                o.receiver.countRateLimited();
                res.status(429).json({ error: 'rate_limited' });
              },
            }),
          ]
        : [];
    const rawBody = express.raw({ type: () => true, limit: o.maxBodyBytes, inflate: false });

    const receive = async (req: Request, res: Response) => {
      const body: Uint8Array = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      try {
        const out = await o.receiver.receive(body, req.get(SIGNATURE_HEADER));
        // The hot path: a prebuilt body, written without express's per-response header work.
        const json = resultBody(out.result);
        res.writeHead(out.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': json.length });
        res.end(json);
      } catch (err) {
        const status = isTransientDbError(err) ? 503 : 500;
        log.error({ err, status }, 'webhook request failed');
        if (status === 503) res.set('Retry-After', '5');
        res.status(status).json({ result: 'error' });
      }
    };

    // Body-reading failures: too large (413), unsupported encoding, aborted uploads.
    const bodyErrors = async (err: unknown, req: Request, res: Response, next: NextFunction) => {
      const e = err as { status?: unknown; type?: unknown };
      if (typeof e.status !== 'number' || e.status < 400 || e.status >= 500) {
        next(err);
        return;
      }
      const tooLarge = e.type === 'entity.too.large' || e.status === 413;
      await o.receiver.recordRefused(tooLarge ? 'too_large' : 'malformed', e.status, req.get(SIGNATURE_HEADER));
      if (!res.headersSent) res.status(e.status).json({ result: tooLarge ? 'too_large' : 'malformed' });
    };

    for (const path of WEBHOOK_PATHS) app.post(path, ...limiter, rawBody, receive, bodyErrors);

    app.get('/api/webhooks', requireBearer(o.apiToken, '/api/webhooks'), async (req, res, next) => {
      const raw = req.query.limit;
      let limit = 50;
      if (raw !== undefined) {
        if (typeof raw !== 'string' || !/^\d{1,6}$/.test(raw) || Number(raw) < 1) {
          res.status(400).json({ error: 'bad_request', message: `limit must be an integer from 1 to ${API_WEBHOOKS_MAX_LIMIT}` });
          return;
        }
        limit = Math.min(Number(raw), API_WEBHOOKS_MAX_LIMIT);
      }
      try {
        res.set('Cache-Control', 'no-store').json({ deliveries: await o.recent(limit) });
      } catch (err) {
        next(err);
      }
    });
  };
}

/** The landing page table of recent deliveries (no invoice ids or payloads: the page is public). */
export function webhookLandingSection(recent: (limit: number) => Promise<RecentDelivery[]>, rows = 20): () => Promise<LandingSection[]> {
  return async () => {
    const list = await recent(rows);
    return [
      {
        title: 'Recent webhook deliveries',
        columns: ['time', 'event', 'store', 'verified', 'result', 'signature'],
        rows: list.map((d) => [
          new Date(d.receivedAt * 1000).toISOString().replace('.000Z', 'Z'),
          d.eventType ?? '—',
          d.storeId ?? '—',
          d.verified ? '✓' : '✗',
          d.httpStatus === null ? d.result : `${d.result} (${d.httpStatus})`,
          d.signaturePreview ?? '—',
        ]),
        empty: 'No webhook delivery received yet.',
      },
    ];
  };
}
