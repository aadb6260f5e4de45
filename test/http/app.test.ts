import { describe, expect, it } from 'vitest';
import { startTestExporter } from '../helpers/exporter.js';

describe('HTTP routes without tokens', async () => {
  const ex = await startTestExporter({ DEMO: 'false', ANGOR_ENABLE: 'false' }, { schedule: false });

  it('GET /health is JSON liveness', async () => {
    const res = await fetch(`${ex.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ status: 'ok', mode: 'live' });
  });

  it('GET /ready says the database is migrated', async () => {
    const res = await fetch(`${ex.url}/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', database: 'migrated' });
  });

  it('GET /metrics serves the Prometheus text format with build info and prefixed process metrics', async () => {
    const res = await fetch(`${ex.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = await res.text();
    expect(body).toMatch(/^crowdfund_build_info\{version="\d+\.\d+\.\d+",mode="live",nodejs_version="v\d+[^"]*"\} 1$/m);
    expect(body).toMatch(/^crowdfund_process_cpu_seconds_total \d/m);
    expect(body).toMatch(/^crowdfund_scrape_collector_success\{collector="sync"\} 1$/m);
    expect(body).not.toMatch(/^# EOF/m);
  });

  it('GET /metrics negotiates OpenMetrics', async () => {
    const res = await fetch(`${ex.url}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(await res.text()).toMatch(/# EOF\n?$/);
    // The next plain scrape is plain text again: the format switch does not stick.
    const plain = await fetch(`${ex.url}/metrics`);
    expect(plain.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('POST /refresh is open without ADMIN_TOKEN and answers 202', async () => {
    const res = await fetch(`${ex.url}/refresh`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'accepted', sources: [] });
  });

  it('unknown routes are 404 JSON', async () => {
    const res = await fetch(`${ex.url}/nope`);
    expect(res.status).toBe(404);
  });
});

describe('HTTP routes with tokens and secrets', async () => {
  const METRICS_TOKEN = 'metrics-token-ABCD';
  const ADMIN_TOKEN = 'admin-token-WXYZ';
  const API_KEY = 'btcpay-api-key-0123456789-K9Q2';
  const HOOK_SECRET = 'webhook-secret-XY12';
  const ex = await startTestExporter(
    {
      DEMO: 'false',
      ANGOR_ENABLE: 'false',
      METRICS_TOKEN,
      ADMIN_TOKEN,
      BTCPAY_URL: 'http://127.0.0.1:9',
      BTCPAY_API_KEY: API_KEY,
      BTCPAY_STORE_IDS: 'StoreOne',
      BTCPAY_WEBHOOK_SECRET: HOOK_SECRET,
      PUBLIC_URL: 'https://metrics.example.org',
    },
    { schedule: false },
  );

  it('/metrics needs the bearer token', async () => {
    expect((await fetch(`${ex.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${ex.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const ok = await fetch(`${ex.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('crowdfund_build_info');
  });

  it('/refresh needs the admin token, not the metrics token', async () => {
    expect((await fetch(`${ex.url}/refresh`, { method: 'POST' })).status).toBe(401);
    const withMetricsToken = await fetch(`${ex.url}/refresh`, { method: 'POST', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(withMetricsToken.status).toBe(401);
    const ok = await fetch(`${ex.url}/refresh`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(ok.status).toBe(202);
  });

  it('the landing page shows mode, sources and the webhook URL with every secret masked', async () => {
    const res = await fetch(`${ex.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('mode <span class="mode live">live</span>');
    expect(html).toContain('http://127.0.0.1:9');
    expect(html).toContain('StoreOne');
    expect(html).toContain('https://metrics.example.org/webhooks/btcpay');
    expect(html).toContain('href="metrics"');
    for (const secret of [METRICS_TOKEN, ADMIN_TOKEN, API_KEY, HOOK_SECRET]) {
      expect(html).not.toContain(secret);
      expect(html).toContain(`••••${secret.slice(-4)}`);
    }
  });

  it('/health and / stay open (only /metrics and /refresh are protected)', async () => {
    expect((await fetch(`${ex.url}/health`)).status).toBe(200);
    expect((await fetch(`${ex.url}/ready`)).status).toBe(200);
  });
});
