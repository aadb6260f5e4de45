// The status page in a real headless Chromium (Debian's chromium driven by playwright-core), on the
// demo exporter: the KPI numbers equal /metrics at the same moment, a 30-bar chart per store,
// progress bars for the demo Crowdfund apps, Angor projects, no console error, no request to any
// host but the exporter, text-only rendering of a hostile project name, readable at 390 px and
// without JavaScript. Screenshots at 1280 and 390 px go to test-artifacts/ (git-ignored).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { satsToBtc } from '../../exporter/src/money.js';
import { startTestExporter } from '../helpers/exporter.js';
import { metric, scrape, waitFor } from '../helpers/metrics.js';
import { ROOT, findTool, inCI } from '../stack/tools.js';

const CHROMIUM = findTool('chromium');
/** Skipped on a machine without chromium, never in CI (where .ci/run installs it). */
const SKIP = !CHROMIUM && !inCI;
if (SKIP) process.stderr.write('skipping the status page browser test: chromium not installed (apt-get install chromium)\n');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const GRAFANA_URL = 'http://grafana.example.invalid:3000';
const HOSTILE_NAME = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> & "Kiln"';

interface Card {
  [key: string]: string | undefined;
  text?: string;
}

/** Every element with the data attribute `attr`: its data-* values and its text, read in the page. */
async function cards(page: Page, attr: string): Promise<Card[]> {
  const json = await page.evaluate<string>(
    `JSON.stringify([...document.querySelectorAll('[data-${attr}]')].map((e) => ({ ...e.dataset, text: e.textContent })))`,
  );
  return JSON.parse(json) as Card[];
}

/** The /metrics series the page shows (timestamps aside), to tell whether anything moved. */
function figures(text: string): string {
  return text
    .split('\n')
    .filter((l) => /^(btcpay_(invoices|raised_sats|contributions|crowdfund_(raised_amount|target_amount|contributors))|angor_project_(raised_sats|target_sats|investments))\{/.test(l))
    .join('\n');
}

describe.skipIf(SKIP)('status page in Chromium', async () => {
  if (SKIP) {
    it('needs chromium', () => undefined);
    return;
  }
  const exp = await startTestExporter({ GRAFANA_URL, SYNC_SCHEDULE: '0 0 1 1 *' });
  const origin = new URL(exp.url).origin;
  let browser: Browser;
  const foreign: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    expect(CHROMIUM, 'chromium is installed (.ci/run installs it)').toBeDefined();
    const db = exp.database.db;
    const demo = exp.demo!;
    await waitFor(async () => {
      const states = await db.selectFrom('sync_state').selectAll().execute();
      const synced = ['angor', ...demo.storeIds.map((s) => `btcpay:${s}`)].every((s) => states.some((r) => r.source === s && r.last_outcome === 'success'));
      const apps = await db.selectFrom('crowdfund_progress').select('app_id').execute();
      return synced && apps.length === demo.crowdfundAppIds.length ? true : undefined;
    }, 'the first sync of every demo source');
    // A project name from Nostr is outside input: it must render as text.
    const first = await db.selectFrom('angor_projects').select('project_id').orderBy('project_id').executeTakeFirstOrThrow();
    await db.updateTable('angor_projects').set({ name: HOSTILE_NAME }).where('project_id', '=', first.project_id).execute();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(width: number, javaScriptEnabled = true): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 900 }, javaScriptEnabled });
    // Everything the page asks for is recorded; only the exporter itself is reachable.
    await context.route('**/*', async (route) => {
      const u = route.request().url();
      if (u.startsWith('data:') || new URL(u).origin === origin) await route.continue();
      else {
        foreign.push(u);
        await route.abort();
      }
    });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('requestfailed', (r) => consoleErrors.push(`request failed: ${r.url()}`));
    return page;
  }

  it('shows the numbers /metrics serves at that moment, per store, app and project', async () => {
    const page = await open(1280);
    // Demo traffic moves the figures: take a page load that no scrape around it saw change.
    let text = '';
    for (let attempt = 0; ; attempt++) {
      const before = await scrape(exp.url);
      const res = await page.goto(`${exp.url}/`);
      expect(res?.status()).toBe(200);
      const after = await scrape(exp.url);
      if (figures(before) === figures(after)) {
        text = before;
        break;
      }
      if (attempt > 20) throw new Error('the demo figures never held still for one page load');
    }

    const kpis = await cards(page, 'kpi');
    const kpi = (store: string, key: string) => kpis.find((k) => k.store === store && k.kpi === key);
    const stores = exp.demo!.storeIds;
    expect(new Set(kpis.map((k) => k.store))).toEqual(new Set(stores));
    for (const store of stores) {
      const raised = metric(text, 'btcpay_raised_sats', { store })!;
      const contributions = metric(text, 'btcpay_contributions', { store })!;
      expect(raised).toBeGreaterThan(0);
      expect(Number(kpi(store, 'raised_sats')!.value)).toBe(raised);
      expect(kpi(store, 'raised_sats')!.text).toContain(`${satsToBtc(raised)} BTC`);
      expect(kpi(store, 'raised_sats')!.text).toContain(`${raised.toLocaleString('en-US')} sats`);
      expect(Number(kpi(store, 'contributions')!.value)).toBe(contributions);
      expect(kpi(store, 'contributions')!.text).toContain(contributions.toLocaleString('en-US'));
      expect(Number(kpi(store, 'average_sats')!.value)).toBe(Math.round(raised / contributions));
      expect(Number(kpi(store, 'raised_7d_sats')!.value)).toBeGreaterThan(0);
      expect(Number(kpi(store, 'raised_7d_sats')!.value)).toBeGreaterThanOrEqual(Number(kpi(store, 'raised_24h_sats')!.value));
      const statuses = (await cards(page, 'status')).filter((s) => s.text !== undefined);
      const section = page.locator(`section.store[data-store="${store}"]`);
      for (const status of ['New', 'Processing', 'Settled', 'Expired', 'Invalid']) {
        const li = section.locator(`li[data-status="${status}"]`);
        expect(Number(await li.getAttribute('data-value')), status).toBe(metric(text, 'btcpay_invoices', { store, status }));
      }
      expect(statuses.length).toBe(5 * stores.length);
      // The chart: 30 bars, history included from the database at once.
      const bars = section.locator('svg rect.bar');
      expect(await bars.count()).toBe(30);
      const days = (await cards(page, 'day')).filter((b) => b.sats !== undefined);
      expect(days.length).toBe(30 * stores.length);
      expect(days.filter((d) => Number(d.sats) > 0).length).toBeGreaterThan(20);
      expect(await section.locator('[data-health="webhook"]').count()).toBe(1);
      expect(await section.locator('[data-health="sync"][data-state="ok"]').count()).toBe(1);
    }

    const apps = await cards(page, 'app');
    expect(apps.map((a) => a.app).sort()).toEqual([...exp.demo!.crowdfundAppIds].sort());
    for (const a of apps) {
      const app = a.app!;
      expect(Number(a.settled)).toBe(metric(text, 'btcpay_crowdfund_raised_amount', { app, state: 'settled' }));
      expect(Number(a.pending)).toBe(metric(text, 'btcpay_crowdfund_raised_amount', { app, state: 'pending' }));
      expect(Number(a.target)).toBe(metric(text, 'btcpay_crowdfund_target_amount', { app }));
      expect(Number(a.contributors)).toBe(metric(text, 'btcpay_crowdfund_contributors', { app }));
      const bar = page.locator(`article.app[data-app="${app}"] [role="progressbar"]`);
      expect(await bar.count(), app).toBe(1);
      const pct = ((Number(a.settled) + Number(a.pending)) / Number(a.target)) * 100;
      expect(Number(a.percent)).toBeCloseTo(pct, 1);
      expect(Number(await bar.getAttribute('aria-valuenow'))).toBeCloseTo(Math.min(100, pct), 1);
      expect(a.text).toContain(`${Number(a.percent).toFixed(1)}%`);
    }

    const projects = await cards(page, 'project');
    expect(projects.length).toBeGreaterThan(5);
    for (const p of projects) {
      const project = p.project!;
      expect(Number(p.raised), project).toBe(metric(text, 'angor_project_raised_sats', { project }));
      expect(Number(p.target), project).toBe(metric(text, 'angor_project_target_sats', { project }));
      expect(Number(p.investments), project).toBe(metric(text, 'angor_project_investments', { project }));
    }

    for (const href of ['metrics', 'api/invoices?format=csv', 'api/webhooks', GRAFANA_URL]) {
      expect(await page.locator(`a[href="${href}"]`).count(), href).toBe(1);
    }
    // The CSV link works from the page.
    const csv = await page.request.get(`${exp.url}/api/invoices?format=csv`);
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-1280.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(foreign).toEqual([]);
  });

  it('renders a project name with <script> in it as text', async () => {
    const page = await open(1280);
    await page.goto(`${exp.url}/`);
    const hostile = (await cards(page, 'project')).find((p) => p.text?.includes('<script>'));
    expect(hostile?.text).toContain(HOSTILE_NAME);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('article.project img').count()).toBe(0);
    expect(await page.evaluate<string>('typeof window.__pwned')).toBe('undefined');
    expect(consoleErrors).toEqual([]);
    expect(foreign).toEqual([]);
  });

  it('is readable on a phone: viewport meta, no horizontal scroll at 390 px', async () => {
    const page = await open(390);
    await page.goto(`${exp.url}/`);
    expect(await page.locator('meta[name="viewport"]').getAttribute('content')).toContain('width=device-width');
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await page.locator('section.store svg rect.bar').count()).toBe(30 * exp.demo!.storeIds.length);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-390.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(foreign).toEqual([]);
  });

  it('works without JavaScript', async () => {
    const page = await open(1280, false);
    await page.goto(`${exp.url}/`);
    expect(await page.locator('[data-kpi="raised_sats"]').count()).toBe(exp.demo!.storeIds.length);
    expect(await page.locator('article.app [role="progressbar"]').count()).toBe(exp.demo!.crowdfundAppIds.length);
    expect(await page.locator('#configuration').textContent()).toContain('Sources');
    expect(foreign).toEqual([]);
  });
}, 180_000);
