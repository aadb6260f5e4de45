// The BTCPay simulator keeps BTCPay's semantics: list filters and paging, errors, lifecycles, and
// webhook deliveries signed byte for byte like BTCPay's (checked against the FACTS.md examples).
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTLED_BODY } from '../helpers/btcpay-facts.js';
import { BtcpaySimulator, ManualClock, PERM, eventBody, signBody, type SimDelivery } from '../../exporter/src/demo/btcpay-simulator/index.js';

const T0 = 1_763_740_000;


describe('webhook bodies and signatures (FACTS.md a/b examples)', () => {
  const metadata = { orderId: 'order-1042', itemDesc: 'Annual subscription', buyerEmail: 'alice@example.com' };
  const common = { storeId: 'YLPVGjoBw3vqwZ2vbWqNfMy4dZdzcj54w53PYjnBYri', invoiceId: 'MoNmZKJVdVAYUV73AA8sCP', metadata };

  it('serialises InvoiceSettled to the exact 491 bytes and signature of the example', () => {
    const body = eventBody(
      { ...common, type: 'InvoiceSettled', extra: { manuallyMarked: false, overPaid: false }, timestamp: 1763742334 },
      { deliveryId: 'Q2hwWAq9yud7qKkKJcvpCh', webhookId: 'LjcHN4LxshnDu1Kwro5erG', originalDeliveryId: 'Q2hwWAq9yud7qKkKJcvpCh', isRedelivery: false },
    );
    expect(body).toBe(SETTLED_BODY);
    expect(Buffer.byteLength(body)).toBe(491);
    expect(signBody(body, '6Q7uBLgKNBZYp5zpVEeLso')).toBe('sha256=4334f966eeed5a92e0ff86f7a9a8f2d1030743c0914cf1f52614ab52afa93de7');
    expect(signBody(JSON.stringify(JSON.parse(body)), '6Q7uBLgKNBZYp5zpVEeLso')).toBe(
      'sha256=50d9776f92b96002de4b6b5ebcf4cdeae3e8936dce4c674fde3c021dc06e4195',
    );
  });

  it('serialises InvoiceReceivedPayment and InvoiceExpired like the examples', () => {
    const received = eventBody(
      {
        ...common,
        type: 'InvoiceReceivedPayment',
        timestamp: 1763741013,
        extra: {
          afterExpiration: false,
          paymentMethodId: 'BTC-CHAIN',
          payment: {
            id: '709b55bd3da0f5a838125bd0ee20c5bfdd7caba173912d4281cae816b79a201b-1',
            receivedDate: 1763741012,
            value: '0.00081532',
            fee: '0',
            status: 'Processing',
            destination: 'bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh',
          },
        },
      },
      { deliveryId: 'M8b8UB4C3w4ZqHh4FtfLWw', webhookId: 'LjcHN4LxshnDu1Kwro5erG', originalDeliveryId: 'M8b8UB4C3w4ZqHh4FtfLWw', isRedelivery: false },
    );
    expect(Buffer.byteLength(received)).toBe(780);
    expect(signBody(received, '6Q7uBLgKNBZYp5zpVEeLso')).toBe('sha256=f8631de5c887c0c0964e5a4738ae4d4cf370ba66c7d82ded5641c0e70c040707');
    const expired = eventBody(
      { storeId: common.storeId, invoiceId: '2APGmGJJyoDDZvWrej687D', metadata: { orderId: 'order-1043' }, type: 'InvoiceExpired', timestamp: 1763745304, extra: { partiallyPaid: false } },
      { deliveryId: 'K5FVyaiRJsnh6q35fFXUnh', webhookId: 'LjcHN4LxshnDu1Kwro5erG', originalDeliveryId: 'K5FVyaiRJsnh6q35fFXUnh', isRedelivery: false },
    );
    expect(Buffer.byteLength(expired)).toBe(391);
    expect(signBody(expired, '6Q7uBLgKNBZYp5zpVEeLso')).toBe('sha256=6f040cec28b17223bbc985c7b7afee0202f2de58c6f83f8d71e51c923888468d');
  });
});

describe('Greenfield API of the simulator', () => {
  const clock = new ManualClock(T0);
  const sim = new BtcpaySimulator({ clock, seed: 7 });
  const store = sim.addStore({ defaultCurrency: 'USD' });
  const other = sim.addStore();
  const key = sim.addApiKey([`${PERM.viewInvoices}:${store.id}`]);
  const admin = sim.addApiKey([PERM.modifyStoreSettings]);
  let url: string;
  const ids: string[] = [];

  beforeAll(async () => {
    url = await sim.listen();
    for (let i = 0; i < 10; i++) {
      const inv = sim.createInvoice(store.id, {
        amount: String(10 + i),
        createdTime: T0 + i * 100,
        metadata: { orderId: `order-${i}`, buyerEmail: `buyer${i}@example.com` },
        additionalSearchTerms: i % 2 === 0 ? [`crowdfund-app_APP${i}`] : [],
      });
      ids.push(inv.id);
    }
    sim.settle(ids[1]!, T0 + 150);
    sim.archive(ids[2]!);
    sim.pay(ids[3]!, { method: 'BTC-LN', extraMsats: 123n, at: T0 + 310 });
  });
  afterAll(() => sim.close());

  const get = async (path: string, k: string | null = key) => {
    const res = await fetch(url + path, { headers: k ? { authorization: `token ${k}` } : {} });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const list = async (store_: string, q: string) => (await get(`/api/v1/stores/${store_}/invoices?${q}`)).body as Array<{ id: string; createdTime: number; status: string }>;

  it('lists newest first; no take returns everything; archived hidden by default', async () => {
    const all = await list(store.id, '');
    expect(all.map((i) => i.id)).toEqual([...ids].reverse().filter((id) => id !== ids[2]));
    expect((await list(store.id, 'includeArchived=true')).length).toBe(10);
  });

  it('pages with skip/take inside inclusive startDate/endDate', async () => {
    const w = await list(store.id, `startDate=${T0 + 200}&endDate=${T0 + 600}&includeArchived=true`);
    expect(w.map((i) => i.createdTime)).toEqual([600, 500, 400, 300, 200].map((d) => T0 + d));
    const page = await list(store.id, `startDate=${T0 + 200}&endDate=${T0 + 600}&includeArchived=true&skip=1&take=2`);
    expect(page.map((i) => i.createdTime)).toEqual([T0 + 500, T0 + 400]);
  });

  it('filters status case-insensitively with legacy aliases; unknown values are ignored', async () => {
    expect((await list(store.id, 'status=SETTLED')).map((i) => i.id)).toEqual([ids[3], ids[1]]);
    expect((await list(store.id, 'status=complete')).length).toBe(2);
    expect((await list(store.id, 'status=bogus')).length).toBe(9);
    expect((await list(store.id, 'status=new&status=settled')).length).toBe(9);
  });

  it('textSearch is a prefix match over search terms, extra terms included', async () => {
    expect((await list(store.id, 'textSearch=crowdfund-app_APP4')).map((i) => i.id)).toEqual([ids[4]]);
    expect((await list(store.id, 'textSearch=crowdfund-app_')).length).toBe(4); // 0,4,6,8 (2 is archived)
    expect((await list(store.id, 'textSearch=buyer7@')).map((i) => i.id)).toEqual([ids[7]]);
    expect((await list(store.id, 'textSearch=example.com')).length).toBe(0); // not a prefix
    expect((await list(store.id, `textSearch=${ids[5]!.slice(0, 8)}`)).map((i) => i.id)).toContain(ids[5]);
  });

  it('answers 422 arrays for bad parameters', async () => {
    expect(await get(`/api/v1/stores/${store.id}/invoices?startDate=abc`)).toEqual({ status: 422, body: [{ path: 'startDate', message: 'Invalid unix timestamp' }] });
    const r = await get(`/api/v1/stores/${store.id}/invoices?startDate=10&endDate=5`);
    expect(r.status).toBe(422);
    expect((r.body as Array<{ path: string }>).map((e) => e.path)).toEqual(['startDate', 'endDate']);
  });

  it('answers 401 and 403 with the bodies BTCPay sends', async () => {
    expect(await get(`/api/v1/stores/${store.id}/invoices`, null)).toEqual({
      status: 401,
      body: { code: 'unauthenticated', message: 'Authentication is required for accessing this endpoint' },
    });
    expect(await get(`/api/v1/stores/${store.id}/invoices`, 'nope')).toEqual({
      status: 401,
      body: { code: 'unauthenticated', message: 'ApiKey authentication failed: Unknown API Key' },
    });
    const forbidden = await get(`/api/v1/stores/${other.id}/invoices`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ code: 'missing-permission', missingPermission: 'btcpay.store.canviewinvoices' });
    expect((await get('/api/v1/stores')).body).toMatchObject({ missingPermission: 'btcpay.store.canviewstoresettings' });
    expect(((await get('/api/v1/stores', admin)).body as unknown[]).length).toBe(2);
  });

  it('gets invoices scoped and unscoped; an unknown id is 403 as in BTCPay', async () => {
    expect((await get(`/api/v1/invoices/${ids[1]}`)).body).toMatchObject({ id: ids[1], status: 'Settled' });
    expect((await get(`/api/v1/stores/${store.id}/invoices/${ids[1]}`)).body).toMatchObject({ id: ids[1] });
    expect((await get('/api/v1/invoices/doesnotexist')).status).toBe(403);
  });

  it('serves payment methods with Lightning precision and paymentMethodPaid rounded up', async () => {
    const pms = (await get(`/api/v1/stores/${store.id}/invoices/${ids[3]}/payment-methods`)).body as Array<Record<string, unknown>>;
    const ln = pms.find((p) => p.paymentMethodId === 'BTC-LN')!;
    const payments = ln.payments as Array<{ value: string; status: string }>;
    expect(payments).toHaveLength(1);
    expect(payments[0]!.value).toMatch(/^0\.\d{11}$/);
    expect(payments[0]!.status).toBe('Settled');
    const valueMsats = BigInt(payments[0]!.value.replace('0.', ''));
    expect(ln.paymentMethodPaid).toBe(`0.${String((valueMsats + 999n) / 1000n).padStart(8, '0')}`);
    const embedded = (await get(`/api/v1/invoices/${ids[3]}?includePaymentMethods=true`)).body as { paymentMethods: unknown[] };
    expect(embedded.paymentMethods).toEqual(pms);
    expect(((await get(`/api/v1/invoices/${ids[3]}`)).body as { paymentMethods: unknown[] }).paymentMethods).toEqual([]);
  });

  it('hides invalid payments unless onlyAccountedPayments=false; a lost payment reopens the invoice', async () => {
    const inv = sim.createInvoice(store.id, { amount: '30', createdTime: clock.now() });
    const p = sim.pay(inv.id);
    expect(inv.status).toBe('Processing');
    sim.invalidatePayment(inv.id, p.id);
    expect([inv.status, inv.additionalStatus]).toEqual(['New', 'None']);
    const base = `/api/v1/invoices/${inv.id}/payment-methods`;
    const chain = (body: unknown) => (body as Array<{ paymentMethodId: string; payments: unknown[]; paymentMethodPaid: string }>).find((m) => m.paymentMethodId === 'BTC-CHAIN')!;
    expect(chain((await get(base)).body).payments).toHaveLength(0);
    expect(chain((await get(base)).body).paymentMethodPaid).toBe('0');
    expect(chain((await get(`${base}?onlyAccountedPayments=false`)).body).payments).toMatchObject([{ status: 'Invalid' }]);
  });

  it('drives lifecycles with the clock: expiry, partial, late payment, invalid', () => {
    const a = sim.createInvoice(store.id, { amount: '20', createdTime: clock.now() });
    const b = sim.createInvoice(store.id, { amount: '20', createdTime: clock.now() });
    const c = sim.createInvoice(store.id, { amount: '20', createdTime: clock.now() });
    sim.pay(b.id, { fraction: 0.5 });
    sim.pay(c.id); // on-chain, unconfirmed
    expect(c.status).toBe('Processing');
    sim.advance(15 * 60);
    expect([a.status, a.additionalStatus]).toEqual(['Expired', 'None']);
    expect([b.status, b.additionalStatus]).toEqual(['Expired', 'PaidPartial']);
    sim.pay(a.id);
    expect([a.status, a.additionalStatus]).toEqual(['Expired', 'PaidLate']);
    sim.advance(24 * 3600);
    expect(c.status).toBe('Invalid');
  });
});

describe('webhook deliveries', () => {
  let receiver: Server;
  let receiverUrl: string;
  const received: Array<{ body: Buffer; sig: string | undefined; ua: string | undefined; type: string | undefined }> = [];
  let answers: number[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks), sig: req.headers['btcpay-sig'] as string, ua: req.headers['user-agent'], type: req.headers['content-type'] });
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => {
      receiver.close(() => r());
      receiver.closeAllConnections();
    });
  });

  const verify = (body: Buffer, secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

  it('signs the exact bytes, and retries 5xx with new deliveryIds and the same original id', async () => {
    received.length = 0;
    answers = [500, 503, 200];
    const sim = new BtcpaySimulator({ clock: new ManualClock(T0), seed: 3, webhookRetryScale: 0.0001 });
    try {
      const store = sim.addStore();
      const hook = sim.createWebhook(store.id, { url: receiverUrl, secret: 'HelloWorld' });
      sim.createInvoice(store.id, { amount: '5', metadata: { orderId: 'x', note: 'café ☕' } });
      await sim.webhooks.idle();
      expect(received).toHaveLength(3);
      const bodies = received.map((r) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>);
      for (const r of received) {
        expect(r.sig).toBe(verify(r.body, 'HelloWorld'));
        expect(r.ua).toBe('BTCPayServer/2.4.1');
        expect(r.type).toBe('application/json');
        expect(r.body.toString('utf8')).toContain('café ☕'); // not escaped
        expect(r.body.toString('utf8').endsWith('}')).toBe(true);
      }
      expect(bodies.map((b) => b.isRedelivery)).toEqual([false, true, true]);
      expect(new Set(bodies.map((b) => b.deliveryId)).size).toBe(3);
      expect(bodies.every((b) => b.originalDeliveryId === bodies[0]!.deliveryId)).toBe(true);
      expect(new Set(bodies.map((b) => b.timestamp)).size).toBe(1);
      const records: SimDelivery[] = hook.deliveries;
      expect(records.map((d) => d.status)).toEqual(['HttpSuccess', 'HttpError', 'HttpError']);
    } finally {
      await sim.close();
    }
  });

  it('does not retry other 4xx, drops and mis-signs deliveries on request', async () => {
    received.length = 0;
    answers = [401];
    const sim = new BtcpaySimulator({ clock: new ManualClock(T0), seed: 4, webhookRetryScale: 0.0001 });
    try {
      const store = sim.addStore();
      sim.createWebhook(store.id, { url: receiverUrl, secret: 'HelloWorld' });
      sim.createInvoice(store.id, { amount: '5' });
      await sim.webhooks.idle();
      expect(received).toHaveLength(1);

      sim.webhooks.faults.misSignRate = 1;
      sim.createInvoice(store.id, { amount: '5' });
      await sim.webhooks.idle();
      expect(received).toHaveLength(2);
      expect(received[1]!.sig).not.toBe(verify(received[1]!.body, 'HelloWorld'));

      sim.webhooks.faults.misSignRate = 0;
      sim.webhooks.faults.dropRate = 1;
      sim.createInvoice(store.id, { amount: '5' });
      await sim.webhooks.idle();
      expect(received).toHaveLength(2);
      expect(sim.webhooks.stats.dropped).toBe(1);
    } finally {
      await sim.close();
    }
  });
});

describe('scale', () => {
  it('pages a 100,000-invoice store by window without scanning it', async () => {
    const sim = new BtcpaySimulator({ clock: new ManualClock(T0), seed: 5 });
    const store = sim.addStore();
    const key = sim.addApiKey();
    for (let i = 0; i < 100_000; i++) sim.createInvoice(store.id, { amount: '1', createdTime: T0 + Math.floor(i / 2), methods: ['BTC-LN'] });
    const url = await sim.listen();
    try {
      const res = await fetch(`${url}/api/v1/stores/${store.id}/invoices?startDate=${T0 + 25_000}&endDate=${T0 + 25_049}&take=1000&includeArchived=true`, {
        headers: { authorization: `token ${key}` },
      });
      const page = (await res.json()) as Array<{ createdTime: number }>;
      expect(page).toHaveLength(100); // 50 seconds × 2 invoices, both ends inclusive
      expect(page[0]!.createdTime).toBe(T0 + 25_049);
      expect(page.at(-1)!.createdTime).toBe(T0 + 25_000);
      const deep = await fetch(`${url}/api/v1/stores/${store.id}/invoices?skip=99990&take=100&includeArchived=true`, { headers: { authorization: `token ${key}` } });
      expect(((await deep.json()) as unknown[]).length).toBe(10);
    } finally {
      await sim.close();
    }
  });
});
