// The Greenfield client reads a Crowdfund app's settings without a float in between: a .NET
// decimal target of more than 15 digits arrives digit for digit.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GreenfieldClient } from '../../../../exporter/src/sources/btcpay/greenfield-client.js';

const BODY = `{"perks":[{"id":"a","title":"A","disabled":false,"priceType":"Fixed","price":"12.5","inventory":null}],
"title":"Big","enabled":true,"enforceTargetAmount":false,"startDate":null,"targetCurrency":"USD",
"endDate":null,"targetAmount":12345678901234567890.123456789,"resetEveryAmount":1,"resetEvery":"Never",
"id":"app1","appType":"Crowdfund","appName":"big","storeId":"store1","archived":false,"created":1760000000}`;

let server: Server;
let url = '';
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(BODY);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

it('keeps every digit of targetAmount', async () => {
  const app = await new GreenfieldClient({ baseUrl: url, apiKey: 'k', timeoutMs: 5000, retries: 0 }).getCrowdfundApp('app1');
  expect(app.targetAmount).toBe('12345678901234567890.123456789');
  expect(app.perks[0]).toMatchObject({ id: 'a', price: '12.5' });
  // What plain JSON.parse would have made of it.
  expect(String((JSON.parse(BODY) as { targetAmount: number }).targetAmount)).not.toBe(app.targetAmount);
});
