// Attribution by BTCPay's search term: the textSearch prefix match and what undoes it.
import { describe, expect, it } from 'vitest';
import { belongingInvoices, crowdfundSearchTerm, orderUrlAppId } from '../../../../exporter/src/sources/btcpay/crowdfund/attribution.js';

const X = 'CfPrefixTestApp1111111111111';
const Y = `${X}Z`;
const inv = (id: string, orderUrl?: string) => ({ id, metadata: orderUrl === undefined ? {} : { orderUrl } });

describe('orderUrlAppId', () => {
  it('reads the app id from page and LNURL order URLs', () => {
    expect(orderUrlAppId({ orderUrl: `https://pay.example.org/apps/${X}/crowdfund` })).toBe(X);
    expect(orderUrlAppId({ orderUrl: `https://pay.example.org/apps/${Y}/crowdfund?simple` })).toBe(Y);
    expect(orderUrlAppId({ orderUrl: `https://pay.example.org/BTC/UILNURL/pay/app/${X}/early-bird` })).toBe(X);
    expect(orderUrlAppId({ orderUrl: `https://pay.example.org/BTC/lnurl/pay/app/${Y}` })).toBe(Y);
  });

  it('names no app for other URLs or no URL', () => {
    expect(orderUrlAppId({ orderUrl: `https://pay.example.org/apps/${X}/pos` })).toBeUndefined();
    expect(orderUrlAppId({ orderUrl: 'https://shop.example.org/order/42' })).toBeUndefined();
    expect(orderUrlAppId({ orderUrl: 42 })).toBeUndefined();
    expect(orderUrlAppId({})).toBeUndefined();
  });
});

describe('belongingInvoices', () => {
  it('the search for a shorter id also finds the longer id\'s invoices; they are given back to it', () => {
    const found = [
      inv('x-page', `https://b.example/apps/${X}/crowdfund`),
      inv('y-page', `https://b.example/apps/${Y}/crowdfund`),
      inv('y-api'), // term crowdfund-app_Y, no orderUrl: the longer app's search finds it too
      inv('x-api'), // term crowdfund-app_X only
    ];
    const foundByY = new Set(['y-page', 'y-api']);
    const other = (id: string) => (id === Y ? foundByY : undefined);
    expect(belongingInvoices(X, found, [X, Y], other)).toEqual(['x-page', 'x-api']);
    expect(belongingInvoices(Y, found.filter((i) => foundByY.has(i.id)), [X, Y], (id) => (id === Y ? foundByY : undefined))).toEqual(['y-page', 'y-api']);
  });

  it('without the longer app searched, only the order URL can tell', () => {
    const found = [inv('y-page', `https://b.example/apps/${Y}/crowdfund`), inv('y-api')];
    expect(belongingInvoices(X, found, [X], () => undefined)).toEqual(['y-api']);
  });

  it('builds BTCPay\'s search term', () => {
    expect(crowdfundSearchTerm(X)).toBe(`crowdfund-app_${X}`);
  });
});
