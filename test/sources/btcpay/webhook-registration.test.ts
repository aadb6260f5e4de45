// Webhook registration and delivery-failure reading against a tiny local fake of the Greenfield
// webhook routes (node:http), through a minimal client with the method names the real one has.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDeliveryFailureChecker,
  ensureWebhookRegistered,
  type WebhookCreateRequest,
  type WebhookDeliveryReader,
  type WebhookDeliverySummary,
  type WebhookRegistrar,
  type WebhookSummary,
} from '../../../exporter/src/sources/btcpay/webhook-registration.js';
import { INVOICE_EVENT_TYPES } from '../../../exporter/src/metrics/labels.js';
import { buildMetrics } from '../../../exporter/src/metrics/build.js';
import { openTestDb } from '../../helpers/db.js';
import { sample } from '../../webhooks/fixtures.js';

const OPEN = 'OpenStore11111111111111111111111111111111111';
const LOCKED = 'LockedStore111111111111111111111111111111111';
const MY_URL = 'https://exporter.example/webhooks/btcpay';

interface FakeHook extends WebhookSummary {
  secret: string;
  authorizedEvents: unknown;
  deliveries: WebhookDeliverySummary[];
}
const hooks = new Map<string, FakeHook[]>([[OPEN, []]]);
const requests: string[] = [];
let server: Server;
let base: string;

const readJson = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookCreateRequest;
};

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const m = /^\/api\/v1\/stores\/([^/]+)\/webhooks(?:\/([^/]+)\/deliveries)?$/.exec(url.pathname);
    if (!m) return send(404, { code: 'not-found' });
    const store = hooks.get(m[1]!);
    if (!store) return send(403, { code: 'missing-permission', missingPermission: 'btcpay.store.webhooks.canmodifywebhooks', message: 'Insufficient API Permissions.' });
    if (m[2]) {
      const hook = store.find((h) => h.id === m[2]);
      if (!hook) return send(403, { code: 'missing-permission' });
      const count = url.searchParams.get('count');
      return send(200, count ? hook.deliveries.slice(0, Number(count)) : hook.deliveries);
    }
    if (req.method === 'GET') return send(200, store.map(({ secret: _s, deliveries: _d, ...h }) => h));
    const body = await readJson(req);
    const created: FakeHook = { id: `wh${store.length + 1}`, ...body, deliveries: [] };
    store.push(created);
    return send(200, { ...created, deliveries: undefined });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}
async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${base}${path}`, init);
  if (!res.ok) throw new HttpError(res.status);
  return (await res.json()) as T;
}
const client: WebhookRegistrar & WebhookDeliveryReader = {
  listWebhooks: (storeId) => call(`/api/v1/stores/${storeId}/webhooks`),
  createWebhook: (storeId, req) =>
    call(`/api/v1/stores/${storeId}/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) }),
  listWebhookDeliveries: (storeId, webhookId, count) =>
    call(`/api/v1/stores/${storeId}/webhooks/${webhookId}/deliveries${count === undefined ? '' : `?count=${count}`}`),
};

function capturingLog() {
  const lines: Array<{ msg: string }> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)) as { msg: string });
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe('webhook registration', () => {
  it('creates the webhook once with automatic redelivery and every invoice event, then finds it', async () => {
    const { log } = capturingLog();
    expect(await ensureWebhookRegistered({ client, storeId: OPEN, url: MY_URL, secret: 'shh-secret', log })).toBe('created');
    expect(await ensureWebhookRegistered({ client, storeId: OPEN, url: `${MY_URL}/`, secret: 'shh-secret', log })).toBe('found');
    const created = hooks.get(OPEN)!;
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      url: MY_URL,
      secret: 'shh-secret',
      enabled: true,
      automaticRedelivery: true,
      authorizedEvents: { everything: false, specificEvents: [...INVOICE_EVENT_TYPES] },
    });
  });

  it('carries on when the key may not manage webhooks (403)', async () => {
    const { log, lines } = capturingLog();
    expect(await ensureWebhookRegistered({ client, storeId: LOCKED, url: MY_URL, secret: 'shh-secret', log })).toBe('not_allowed');
    expect(lines.some((l) => l.msg.includes('canmodifywebhooks'))).toBe(true);
    expect(JSON.stringify(lines)).not.toContain('shh-secret');
  });
});

describe('delivery failures', () => {
  it('counts Failed and HttpError deliveries of the exporter webhook and exports them', async () => {
    const { db } = await openTestDb();
    const store = hooks.get(OPEN)!;
    const d = (id: string, status: string, httpCode: number | null): WebhookDeliverySummary => ({ id, timestamp: 1, deliveryTime: 2, httpCode, errorMessage: '', status });
    store[0]!.deliveries = [d('a', 'Failed', null), d('b', 'HttpError', 401), d('c', 'HttpSuccess', 200), d('e', 'HttpError', 404)];
    // Another webhook of the store (not the exporter's) fails too; it is not ours to count.
    store.push({ id: 'other', url: 'https://elsewhere.example/hook', secret: 'x', enabled: true, automaticRedelivery: true, authorizedEvents: {}, deliveries: [d('f', 'Failed', null)] });

    const { log } = capturingLog();
    const checker = createDeliveryFailureChecker({ db, client, log, url: MY_URL, now: () => 1_763_800_000 });
    expect(await checker.check(OPEN)).toBe(3);
    expect(requests).toContain(`GET /api/v1/stores/${OPEN}/webhooks/wh1/deliveries?count=50`);

    const metrics = buildMetrics({ db, mode: 'live', sources: () => [], webhookStores: () => [OPEN, LOCKED], defaultMetrics: false });
    const text = (await metrics.render(false)).body;
    expect(sample(text, 'btcpay_webhook_delivery_failures', { store: OPEN })).toBe(3);
    expect(sample(text, 'btcpay_webhook_delivery_failures', { store: LOCKED })).toBe(0);
  });

  it('logs a 403 once per store and keeps going', async () => {
    const { db } = await openTestDb();
    const { log, lines } = capturingLog();
    const checker = createDeliveryFailureChecker({ db, client, log });
    expect(await checker.check(LOCKED)).toBeUndefined();
    expect(await checker.check(LOCKED)).toBeUndefined();
    expect(lines.filter((l) => l.msg.includes('may not read webhook deliveries'))).toHaveLength(1);
    expect(await checker.check(OPEN)).toBe(4); // without a url filter every webhook of the store counts
  });
});
