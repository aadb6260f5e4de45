// The Greenfield client's error mapping and retries, against a scripted local HTTP server.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GreenfieldClient, parseRetryAfter } from '../../../exporter/src/sources/btcpay/greenfield-client.js';
import { SyncError } from '../../../exporter/src/sources/sync-error.js';

const API_KEY = 'secret-api-key-0123456789abcdef';

interface Scripted {
  status: number;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

let server: Server;
let url: string;
let script: Scripted[] = [];
let seen: IncomingMessage[] = [];
const pendingTimers = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const next = script.shift() ?? { status: 200, body: [] };
    const reply = () => {
      const text = next.raw ?? (next.body === undefined ? '' : JSON.stringify(next.body));
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(text);
    };
    if (next.delayMs) {
      const t = setTimeout(() => {
        pendingTimers.delete(t);
        reply();
      }, next.delayMs);
      pendingTimers.add(t);
    } else reply();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  script = [];
  seen = [];
});

afterAll(async () => {
  for (const t of pendingTimers) clearTimeout(t);
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
});

const client = (o: Partial<ConstructorParameters<typeof GreenfieldClient>[0]> = {}) =>
  new GreenfieldClient({ baseUrl: url, apiKey: API_KEY, timeoutMs: 2000, retries: 3, minBackoffMs: 1, maxBackoffMs: 5, random: () => 0.5, ...o });

async function failure(p: Promise<unknown>): Promise<SyncError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SyncError);
  expect((err as Error).message).not.toContain(API_KEY);
  return err as SyncError;
}

const invoice = {
  id: 'inv1',
  storeId: 'store1',
  amount: '10',
  currency: 'USD',
  status: 'Settled',
  additionalStatus: 'None',
  createdTime: 1_700_000_000,
  expirationTime: 1_700_000_900,
  monitoringExpiration: 1_700_086_400,
};

describe('GreenfieldClient', () => {
  it('sends `Authorization: token <key>`, explicit query parameters and repeats status', async () => {
    script = [{ status: 200, body: [invoice] }];
    const out = await client().listInvoices('store1', { take: 50, skip: 100, startDate: 1, endDate: 2, status: ['settled', 'processing'], includeArchived: true });
    expect(out[0]!.id).toBe('inv1');
    expect(seen[0]!.headers.authorization).toBe(`token ${API_KEY}`);
    const q = new URL(seen[0]!.url!, 'http://x').searchParams;
    expect(q.get('take')).toBe('50');
    expect(q.get('skip')).toBe('100');
    expect(q.getAll('status')).toEqual(['settled', 'processing']);
    expect(q.get('includeArchived')).toBe('true');
  });

  it('maps 401 to unauthenticated with a clear message', async () => {
    script = [{ status: 401, body: { code: 'unauthenticated', message: 'ApiKey authentication failed: Unknown API Key' } }];
    const err = await failure(client().listStores());
    expect(err.reason).toBe('unauthenticated');
    expect(err.message).toMatch(/BTCPay rejected the API key/);
    expect(err.message).toMatch(/BTCPAY_API_KEY/);
    expect(seen).toHaveLength(1); // never retried
  });

  it('maps 403 to missing_permission naming the permission', async () => {
    script = [{ status: 403, body: { code: 'missing-permission', missingPermission: 'btcpay.store.canviewinvoices', message: 'Insufficient API Permissions.' } }];
    const err = await failure(client().listInvoices('s', { take: 1 }));
    expect(err.reason).toBe('missing_permission');
    expect(err.message).toContain('btcpay.store.canviewinvoices');
    expect(err.message).toContain('GET /api/v1/stores/s/invoices');
  });

  it('maps 422 to validation listing every path and message', async () => {
    script = [{ status: 422, body: [{ path: 'startDate', message: 'startDate should not be above endDate' }, { path: 'endDate', message: 'endDate should not be below startDate' }] }];
    const err = await failure(client().listInvoices('s', { take: 1, startDate: 1, endDate: 5 }));
    expect(err.reason).toBe('validation');
    expect(err.message).toContain('startDate: startDate should not be above endDate');
    expect(err.message).toContain('endDate: endDate should not be below startDate');
  });

  it('never sends a list request whose startDate is after its endDate: that window is empty', async () => {
    script = [{ status: 422, body: [{ path: 'startDate', message: 'startDate should not be above endDate' }] }];
    expect(await client().listInvoices('s', { take: 10, startDate: 1_700_000_001, endDate: 1_700_000_000 })).toEqual([]);
    expect(seen).toHaveLength(0);
    // Equal dates are a one-second window and are asked for.
    script = [{ status: 200, body: [] }];
    expect(await client().listInvoices('s', { take: 10, startDate: 1_700_000_000, endDate: 1_700_000_000 })).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toContain('startDate=1700000000&endDate=1700000000');
  });

  it('maps 404 to not_found', async () => {
    script = [{ status: 404, body: { code: 'app-not-found', message: 'The app with specified ID was not found' } }];
    expect((await failure(client().getCrowdfundApp('x'))).reason).toBe('not_found');
  });

  it('retries 429 honouring Retry-After, then succeeds', async () => {
    script = [{ status: 429, headers: { 'retry-after': '0' } }, { status: 429 }, { status: 200, body: [] }];
    await expect(client().listStores()).resolves.toEqual([]);
    expect(seen).toHaveLength(3);
  });

  it('waits at least Retry-After seconds before retrying', async () => {
    script = [{ status: 429, headers: { 'retry-after': '1' } }, { status: 200, body: [] }];
    const waits: number[] = [];
    const c = client({ log: { warn: (o: { retryInMs: number }) => waits.push(o.retryInMs) } as never });
    await c.listStores();
    expect(waits).toEqual([1000]);
  });

  it('gives up on a persistent 429 with rate_limited', async () => {
    script = Array.from({ length: 4 }, () => ({ status: 429 }));
    const err = await failure(client().listStores());
    expect(err.reason).toBe('rate_limited');
    expect(err.message).toMatch(/after 4 attempts/);
    expect(seen).toHaveLength(4);
  });

  it('retries 5xx and 408, and reports server_error when they persist', async () => {
    script = [{ status: 502 }, { status: 408 }, { status: 200, body: [] }];
    await expect(client().listStores()).resolves.toEqual([]);
    script = Array.from({ length: 4 }, () => ({ status: 503, body: { code: 'generic-error', message: 'down for maintenance' } }));
    const err = await failure(client().listStores());
    expect(err.reason).toBe('server_error');
    expect(err.message).toContain('HTTP 503');
  });

  it('times out slow answers (reason timeout)', async () => {
    script = [{ status: 200, body: [], delayMs: 1500 }];
    const err = await failure(client({ timeoutMs: 100, retries: 0 }).listStores());
    expect(err.reason).toBe('timeout');
  });

  it('maps a refused connection to network', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await failure(client({ baseUrl: `http://127.0.0.1:${port}`, retries: 1 }).listStores());
    expect(err.reason).toBe('network');
    expect(err.message).toContain(`127.0.0.1:${port}`);
  });

  it('maps a body that does not match the schema to bad_response', async () => {
    script = [{ status: 200, body: [{ ...invoice, amount: 10.5 }] }];
    const err = await failure(client().listInvoices('s', { take: 1 }));
    expect(err.reason).toBe('bad_response');
    expect(err.message).toContain('0.amount');
    script = [{ status: 200, raw: '<html>proxy error</html>' }];
    expect((await failure(client().listStores())).reason).toBe('bad_response');
  });

  it('never repeats the API key even when the server echoes it', async () => {
    script = [{ status: 401, body: { code: 'unauthenticated', message: `key ${API_KEY} is unknown` } }];
    const err = await failure(client().listStores());
    expect(err.message).toContain('••••cdef');
  });

  it('stops at once when the caller aborts', async () => {
    script = [{ status: 503 }, { status: 503 }];
    const ac = new AbortController();
    const c = client({ minBackoffMs: 10_000, maxBackoffMs: 10_000, log: { warn: () => ac.abort() } as never });
    const err = await failure(c.listStores(ac.signal));
    expect(err.reason).toBe('aborted');
  });

  it('accepts 1.x payment-method field names and normalises them', async () => {
    script = [
      {
        status: 200,
        body: [
          { paymentMethod: 'BTC', cryptoCode: 'BTC', rate: '64000', amount: '0.001', paymentMethodPaid: '0.001', networkFee: '0.00000100', payments: [] },
          { paymentMethod: 'BTC-LightningNetwork', cryptoCode: 'BTC', rate: '64000', amount: '0.001', paymentMethodPaid: '0', payments: [] },
        ],
      },
    ];
    const pms = await client().getInvoicePaymentMethods('s', 'i');
    expect(pms.map((p) => [p.paymentMethodId, p.currency, p.paymentMethodFee])).toEqual([
      ['BTC-CHAIN', 'BTC', '0.00000100'],
      ['BTC-LN', 'BTC', '0'],
    ]);
  });

  it('falls back to the store-scoped deliveries route on older servers', async () => {
    script = [{ status: 404 }, { status: 200, body: [{ id: 'd1', timestamp: 1, deliveryTime: 2, httpCode: 200, errorMessage: null, status: 'HttpSuccess' }] }];
    const out = await client().listWebhookDeliveries('s1', 'w1', 5);
    expect(out[0]!.id).toBe('d1');
    expect(seen.map((r) => r.url)).toEqual(['/api/v1/webhooks/w1/deliveries?count=5', '/api/v1/stores/s1/webhooks/w1/deliveries?count=5']);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
