// HTTP face of the webhook receiver: POST /webhooks/btcpay (and the old POST /webhook), the
// recent-deliveries JSON API and landing-page table. The raw body goes to the receiver untouched,
// because the signature covers the exact bytes; status codes follow BTCPay's retry rules.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, Request, Response } from 'express';
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

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function reply(res: ServerResponse, status: number, json: Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': json.length });
  res.end(json);
}

export function webhookRoutes(o: WebhookRoutesOptions): (app: Express) => void {
  const log = o.log.child({ component: 'webhooks' });
  return (app) => {
    const limiter =
      o.rateLimitPerSecond > 0
        ? rateLimit({
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
          })
        : undefined;
    const refused = async (res: ServerResponse, req: IncomingMessage, status: number, tooLarge: boolean) => {
      await o.receiver.recordRefused(tooLarge ? 'too_large' : 'malformed', status, header(req, SIGNATURE_HEADER));
      if (!res.headersSent) reply(res, status, resultBody(tooLarge ? 'too_large' : 'malformed'));
    };

    const receive = async (req: IncomingMessage, res: Response, body: Uint8Array) => {
      try {
        const out = await o.receiver.receive(body, header(req, SIGNATURE_HEADER));
        // The hot path: a prebuilt body, written without express's per-response header work.
        reply(res, out.status, resultBody(out.result));
      } catch (err) {
        const status = isTransientDbError(err) ? 503 : 500;
        log.error({ err, status }, 'webhook request failed');
        if (status === 503) res.set('Retry-After', '5');
        res.status(status).json({ result: 'error' });
      }
    };

    // The body, read once into one buffer, with the limits express.raw applied (no inflating: a
    // compressed body is refused, 415; over maxBodyBytes, 413 before or while reading; an upload
    // the client gave up on, 400, recorded like express's body errors were).
    const readBody = (req: Request, res: Response) => {
      const encoding = req.headers['content-encoding'];
      if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
        req.resume();
        void refused(res, req, 415, false);
        return;
      }
      const declared = Number(req.headers['content-length']);
      if (declared > o.maxBodyBytes) {
        res.setHeader('Connection', 'close');
        req.resume();
        void refused(res, req, 413, true);
        return;
      }
      const chunks: Buffer[] = [];
      let length = 0;
      let over = false;
      req.on('data', (chunk: Buffer) => {
        if (over) return;
        length += chunk.length;
        if (length > o.maxBodyBytes) {
          over = true;
          chunks.length = 0;
          res.setHeader('Connection', 'close');
          void refused(res, req, 413, true);
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (over) return;
        void receive(req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
      });
      req.on('aborted', () => {
        if (!over) void refused(res, req, 400, false);
        over = true;
      });
    };

    // Mounted first (createApp runs mounts before its own routes), as one middleware: a webhook
    // POST passes a method and path comparison and nothing else of the router; the rest of the
    // app never sees it. Paths match as express's did (case-insensitive, one trailing slash).
    const paths = new Set(WEBHOOK_PATHS);
    app.use((req, res, next) => {
      if (req.method !== 'POST') return next();
      const q = req.url.indexOf('?');
      let path = (q === -1 ? req.url : req.url.slice(0, q)).toLowerCase();
      if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
      if (!paths.has(path)) return next();
      if (limiter) limiter(req, res, () => readBody(req, res));
      else readBody(req, res);
    });

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
