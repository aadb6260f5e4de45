// BTCPay's own API description as the judge of the simulator: the merged swagger is valid
// OpenAPI 3.0 once normalised, every normalisation still fixes a defect that is there, the FACTS.md
// webhook bodies (BTCPay's own bytes) pass, and the checker rejects planted defects: an answer
// missing a required field, a webhook body missing one, an undocumented status, a bad decimal.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BtcpaySimulator, ManualClock, PERM, SimCrowdfund } from '../../exporter/src/demo/btcpay-simulator/index.js';
import { EXPIRED_BODY, RECEIVED_PAYMENT_BODY, SETTLED_BODY } from '../helpers/btcpay-facts.js';
import { checked, takeContractFindings } from './btcpay/check-simulator.setup.js';
import { BtcpayContract, NORMALISATIONS, mergedSwagger, normalisedSwagger } from './btcpay/openapi.js';

const T0 = 1_763_740_000;
const SIG = `sha256=${'a'.repeat(64)}`;

let contract: BtcpayContract;
beforeAll(async () => {
  // The full load: the merged, normalised document is validated against the OpenAPI 3.0 schema.
  contract = await BtcpayContract.load({ validateDocument: true });
}, 60_000);

describe("BTCPay's swagger, merged and normalised", () => {
  it('merges all six fragments, the store rates included', () => {
    const paths = Object.keys(mergedSwagger().paths as object);
    for (const p of ['/api/v1/stores', '/api/v1/stores/{storeId}/invoices', '/api/v1/stores/{storeId}/webhooks', '/api/v1/apps/crowdfund/{appId}', '/api/v1/stores/{storeId}/rates']) {
      expect(paths).toContain(p);
    }
  });

  it('every normalisation fixes a defect that is still in the fragments (drop it when BTCPay fixes it)', () => {
    const { changes } = normalisedSwagger();
    for (const n of NORMALISATIONS) {
      expect(n.reason.length, n.name).toBeGreaterThan(60);
      expect(changes.get(n.name), `${n.name} changed nothing`).toBeGreaterThan(0);
    }
  });

  it("accepts BTCPay's own webhook bodies (FACTS.md b, byte for byte)", () => {
    for (const body of [RECEIVED_PAYMENT_BODY, SETTLED_BODY, EXPIRED_BODY]) expect(contract.checkWebhook(body, SIG)).toEqual([]);
  });

  it('rejects a webhook body missing a field BTCPay always writes, and a forged signature header', () => {
    const body = JSON.parse(RECEIVED_PAYMENT_BODY) as { payment: Record<string, unknown>; invoiceId?: string };
    delete body.invoiceId;
    delete body.payment.value;
    const findings = contract.checkWebhook(JSON.stringify(body, null, 2), 'sha256=XYZ');
    expect(findings.join('\n')).toMatch(/required property 'invoiceId'/);
    expect(findings.join('\n')).toMatch(/payment must have required property 'value'/);
    expect(findings.join('\n')).toMatch(/BTCPay-Sig is not sha256=<hex>/);
  });

  it('rejects an undocumented route, an undocumented 2xx, and a decimal in exponent notation', () => {
    expect(contract.checkAnswer({ method: 'GET', url: '/api/v1/stores/S/bogus', status: 200, text: '{}' })).toEqual([
      "GET /api/v1/stores/S/bogus → 200: the route is not in BTCPay's API description",
    ]);
    expect(contract.checkAnswer({ method: 'GET', url: '/api/v1/stores', status: 201, text: '[]' }).join()).toMatch(/status 201 is not documented/);
    const rates = [{ currencyPair: 'BTC_USD', rate: '6.4e4', errors: [] }];
    expect(contract.checkAnswer({ method: 'GET', url: '/api/v1/stores/S/rates', status: 200, text: JSON.stringify(rates) }).join()).toMatch(/must match format "decimal"/);
    // A failed pair's rate is null (FACTS.md g), which the normalised description allows.
    const failed = [{ currencyPair: 'BTC_XYZ', rate: null, errors: ['no rate'] }];
    expect(contract.checkAnswer({ method: 'GET', url: '/api/v1/stores/S/rates', status: 200, text: JSON.stringify(failed) })).toEqual([]);
  });
});

describe('the simulator against the description, through the per-test hook', () => {
  const sim = new BtcpaySimulator({ clock: new ManualClock(T0), seed: 16 });
  const crowdfund = new SimCrowdfund(sim);
  const store = sim.addStore({ name: 'Contract store', defaultCurrency: 'USD' });
  const admin = sim.addApiKey([PERM.modifyStoreSettings]);
  const invoicesOnly = sim.addApiKey([`${PERM.viewInvoices}:${store.id}`]);
  const received: string[] = [];
  let receiver: Server;
  let url = '';
  const ids: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    sim.createWebhook(store.id, { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret: 'contract' });
    url = await sim.listen();
    crowdfund.addApp(store.id, { title: 'Roof', targetAmount: '500', perks: [{ id: 'tile', price: '20' }] });
    for (let i = 0; i < 4; i++) ids.push(sim.createInvoice(store.id, { amount: String(10 + i), metadata: { orderId: `o-${i}` } }).id);
    sim.settle(ids[0]!);
    sim.pay(ids[1]!, { method: 'BTC-LN' });
    sim.expire(ids[2]!);
    sim.markInvalid(ids[3]!);
    await sim.webhooks.idle();
  });
  afterAll(async () => {
    await sim.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  const get = (path: string, key: string | null = admin) => fetch(url + path, { headers: key ? { authorization: `token ${key}` } : {} }).then((r) => r.text());

  it('every route it serves answers as BTCPay describes, errors included', async () => {
    const hookId = sim.webhooks.list(store.id)[0]!.id;
    const appId = [...crowdfund.apps.keys()][0]!;
    for (const path of [
      '/api/v1/stores',
      `/api/v1/stores/${store.id}`,
      `/api/v1/stores/${store.id}/invoices`,
      `/api/v1/stores/${store.id}/invoices?includePaymentMethods=true&includeArchived=true`,
      `/api/v1/invoices/${ids[0]}`,
      `/api/v1/stores/${store.id}/invoices/${ids[1]}?includePaymentMethods=true`,
      `/api/v1/invoices/${ids[1]}/payment-methods`,
      `/api/v1/stores/${store.id}/invoices/${ids[0]}/payment-methods?onlyAccountedPayments=false`,
      `/api/v1/stores/${store.id}/webhooks`,
      `/api/v1/stores/${store.id}/webhooks/${hookId}`,
      `/api/v1/stores/${store.id}/webhooks/${hookId}/deliveries`,
      `/api/v1/stores/${store.id}/apps`,
      `/api/v1/apps/crowdfund/${appId}`,
      `/api/v1/stores/${store.id}/invoices?startDate=yesterday`, // 422
    ]) {
      await get(path);
    }
    await get('/api/v1/stores', null); // 401
    await get('/api/v1/stores', invoicesOnly); // 403
    await get(`/api/v1/invoices/NoSuchInvoice`); // 403, as BTCPay
    const before = checked.answers;
    expect(await takeContractFindings()).toEqual([]);
    expect(checked.answers - before).toBeGreaterThanOrEqual(17);
  });

  it('every webhook body it posted is one BTCPay describes', async () => {
    expect(received.length).toBeGreaterThanOrEqual(6);
    const types = new Set(received.map((b) => (JSON.parse(b) as { type: string }).type));
    expect([...types]).toEqual(expect.arrayContaining(['InvoiceCreated', 'InvoiceReceivedPayment', 'InvoiceSettled', 'InvoiceExpired', 'InvoiceInvalid']));
    expect(await takeContractFindings()).toEqual([]);
    expect(checked.webhooks).toBeGreaterThanOrEqual(received.length); // checked as they were posted, before this test
  });

  it('planted defect: an invoice answer without its status is caught by the hook', async () => {
    // Wraps the simulator's router so the invoice route drops a field BTCPay always writes.
    const match = sim.router.match.bind(sim.router);
    sim.router.match = (method, path) => {
      const route = match(method, path);
      if (!route || !/^\/api\/v1\/invoices\/[^/]+$/.test(path)) return route;
      return {
        ...route,
        handler: async (req) => {
          const out = await route.handler(req);
          delete (out.body as Record<string, unknown>).status;
          return out;
        },
      };
    };
    try {
      const body = JSON.parse(await get(`/api/v1/invoices/${ids[0]}`)) as Record<string, unknown>;
      expect(body.id).toBe(ids[0]);
      expect('status' in body).toBe(false);
    } finally {
      sim.router.match = match;
    }
    const findings = await takeContractFindings();
    expect(findings).toEqual([`GET /api/v1/invoices/${ids[0]} → 200 (Invoices_GetInvoice): / must have required property 'status' {"missingProperty":"status"}`]);
  });
});
