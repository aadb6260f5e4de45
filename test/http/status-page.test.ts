// The status page's HTML without a browser: every outside value escaped (store ids, app titles,
// Angor names, the Grafana URL), the headers that forbid scripts, and what it says for an empty
// exporter.
import { describe, expect, it } from 'vitest';
import { CHART_DAYS, duration, renderStatusPage, type StatusData } from '../../exporter/src/http/status-page.js';
import { startTestExporter } from '../helpers/exporter.js';

const NOW = 1_764_000_000;
const EVIL = '<script>alert(1)</script>"\'&<b>';

const data: StatusData = {
  now: NOW,
  stores: [
    {
      store: EVIL,
      raisedSats: 123_456_789,
      contributions: 3,
      invoices: { New: 1, Processing: 0, Settled: 3, Expired: 0, Invalid: 0 },
      raisedAmounts: [{ currency: EVIL, amount: '1234.5' }],
      lastInvoiceCreated: NOW - 10,
      last24h: { sats: 5, contributions: 1 },
      last7d: { sats: 6, contributions: 2 },
      days: Array.from({ length: CHART_DAYS }, (_, i) => ({ day: NOW - (CHART_DAYS - i) * 86_400, sats: i * 10, contributions: i })),
      webhook: { health: 'ok', text: 'fine', lastVerifiedAt: NOW - 5, deliveryFailures: 0, missed: 0, verificationFailures: 0 },
      sync: { health: 'error', text: 'last run failed (unauthenticated)', lastSuccessAt: 0, lastAttemptAt: NOW },
    },
  ],
  apps: [
    {
      app: EVIL,
      store: EVIL,
      title: EVIL,
      currency: 'USD',
      target: '100',
      settled: '150.5',
      pending: '0',
      raisedSats: 1,
      contributors: 2,
      startDate: null,
      endDate: NOW + 3600,
      resetEvery: 'Never',
      resetEveryAmount: 1,
      nextReset: null,
      hardCap: false,
    },
  ],
  projects: [{ project: EVIL, name: EVIL, network: EVIL, state: 'funding', raisedSats: 10, targetSats: 0, investments: 1, end: null }],
};

describe('status page HTML', () => {
  it('escapes every value that comes from outside', () => {
    const html = renderStatusPage(data, {
      version: '1.2.3',
      mode: 'live',
      grafanaUrl: 'https://grafana.example.org/d/x?a=1&b="2"',
      metricsProtected: true,
      exportProtected: true,
      webhooksApi: false,
      configuration: '<p>config</p>',
    });
    expect(html).not.toContain('<script');
    expect(html).not.toContain(`&<b>`);
    expect(html).not.toContain(`"'`);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;&lt;b&gt;');
    expect(html).toContain('href="https://grafana.example.org/d/x?a=1&amp;b=&quot;2&quot;"');
    // Over the goal: the bar stops at 100 %, the text says 150.5 %.
    expect(html).toContain('<b>150.5%</b>');
    expect(html).toContain('aria-valuenow="100.0"');
    expect(html).toContain('1.23456789 BTC');
    expect(html).toContain('(needs the admin token)');
    expect(html).not.toContain('href="api/webhooks"');
    expect(html.match(/<rect class="bar"/g)).toHaveLength(CHART_DAYS);
  });

  it('says durations the way people read them', () => {
    expect(duration(42)).toBe('42 s');
    expect(duration(600)).toBe('10 min');
    expect(duration(3 * 3600 + 120)).toBe('3 h 2 min');
    expect(duration(2 * 86_400 + 5 * 3600)).toBe('2 d 5 h');
  });
});

describe('GET / on an exporter without sources', async () => {
  const ex = await startTestExporter({ DEMO: 'false', ANGOR_ENABLE: 'false' }, { schedule: false });

  it('forbids scripts and framing, and says what to configure', async () => {
    const res = await fetch(`${ex.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/script-src/);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    const html = await res.text();
    expect(html).toContain('<meta name="viewport"');
    expect(html).toContain('No BTCPay store yet');
    expect(html).toContain('href="api/invoices?format=csv"');
    expect(html).not.toContain('Grafana</a>');
  });
});
