// A BTCPay client written by others (btcpay-greenfield-node-client, generated from BTCPay's swagger)
// reads the simulator: stores, invoices, one invoice, its payment methods, webhooks and their
// deliveries. It uses the store-scoped routes BTCPay's code serves (and the swagger omits), the
// `token` authorisation scheme, and reports 401/403 as its own ApiError.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import greenfield from 'btcpay-greenfield-node-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BtcpaySimulator, ManualClock, PERM } from '../../exporter/src/demo/btcpay-simulator/index.js';

const { OpenAPI, StoresService, InvoicesService, WebhooksService, ApiError } = greenfield;
const T0 = 1_763_740_000;

describe('btcpay-greenfield-node-client against the simulator', () => {
  const sim = new BtcpaySimulator({ clock: new ManualClock(T0), seed: 1616 });
  const store = sim.addStore({ name: 'Client store', defaultCurrency: 'EUR' });
  const other = sim.addStore({ name: 'Not yours' });
  const key = sim.addApiKey([`${PERM.viewStoreSettings}:${store.id}`, `${PERM.modifyWebhooks}:${store.id}`]);
  let receiver: Server;
  const ids: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end()));
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    sim.createWebhook(store.id, { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret: 'client-secret' });
    OpenAPI.BASE = await sim.listen();
    OpenAPI.TOKEN = key;
    ids.push(sim.createInvoice(store.id, { amount: '42.50', metadata: { orderId: 'client-1' } }).id);
    ids.push(sim.createInvoice(store.id, { amount: '7', metadata: { orderId: 'client-2' } }).id);
    sim.settle(ids[0]!);
    await sim.webhooks.idle();
  });
  afterAll(async () => {
    OpenAPI.TOKEN = undefined;
    await sim.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  it('reads the stores the key may see, and one store', async () => {
    const stores = await StoresService.storesGetStores();
    // The client's StoreData model has no defaultCurrency (it predates it); the wire has it.
    expect(stores.map((s) => [s.id, s.name, (s as { defaultCurrency?: string }).defaultCurrency])).toEqual([[store.id, 'Client store', 'EUR']]);
    const one = await StoresService.storesGetStore({ storeId: store.id });
    expect(one).toMatchObject({ id: store.id, name: 'Client store', archived: false });
  });

  it('reads the invoices and one invoice, amounts as decimal strings', async () => {
    const list = await InvoicesService.invoicesGetInvoices({ storeId: store.id });
    expect(list.map((i) => i.id).sort()).toEqual([...ids].sort());
    const settled = await InvoicesService.invoicesGetInvoice({ storeId: store.id, invoiceId: ids[0]! });
    expect(settled).toMatchObject({ id: ids[0], storeId: store.id, amount: '42.50', currency: 'EUR', status: 'Settled' });
    expect(settled.metadata).toEqual({ orderId: 'client-1' });
  });

  it("reads an invoice's payment methods, with the BTC paid", async () => {
    const methods = await InvoicesService.invoicesGetInvoicePaymentMethods({ storeId: store.id, invoiceId: ids[0]! });
    // The client's models predate BTCPay 2.0 (paymentMethod/cryptoCode); the wire has the 2.x names.
    const onchain = (methods as unknown as Array<Record<string, unknown>>).find((m) => m.paymentMethodId === 'BTC-CHAIN');
    expect(onchain).toBeDefined();
    expect(onchain!.currency).toBe('BTC');
    expect(onchain!.paymentMethodPaid).toMatch(/^0\.\d{1,8}$/);
    expect(Number(onchain!.paymentMethodPaid)).toBeGreaterThan(0);
  });

  it('reads the webhooks, one webhook and its deliveries', async () => {
    const hooks = await WebhooksService.webhokksGetWebhooks({ storeId: store.id });
    expect(hooks).toHaveLength(1);
    const hook = await WebhooksService.webhokksGetWebhook({ storeId: store.id, webhookId: hooks[0]!.id! });
    expect(hook).toMatchObject({ id: hooks[0]!.id, enabled: true });
    expect(JSON.stringify(hook)).not.toContain('client-secret'); // GET never returns the secret
    const deliveries = await WebhooksService.getWebhooksService({ storeId: store.id, webhookId: hook.id! });
    expect(deliveries.length).toBeGreaterThanOrEqual(4); // created ×2, received payment, processing, settled...
    expect(deliveries.every((d) => d.status === 'HttpSuccess')).toBe(true);
  });

  it('gets 403 for a store the key may not see, and 401 with an unknown key, as ApiError', async () => {
    await expect(StoresService.storesGetStore({ storeId: other.id })).rejects.toMatchObject({ status: 403 });
    OpenAPI.TOKEN = 'not-a-key';
    try {
      const err = await InvoicesService.invoicesGetInvoices({ storeId: store.id }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect(err).toMatchObject({ status: 401 });
    } finally {
      OpenAPI.TOKEN = key;
    }
  });
});
