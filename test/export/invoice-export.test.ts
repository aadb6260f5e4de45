// GET /api/invoices and `crowdfund-exporter export` on the simulator's invoices after a sync: the
// export equals the database row for row (exact sats, exact decimal strings, the raise-time rule
// checked against the simulator's own payments), CSV reads back through a CSV parser, spreadsheet
// formulas are neutralised, filters, 400s, the admin token, and the CLI writing the same bytes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BtcpaySimulator, ManualClock, PERM, generateHistory } from '../../exporter/src/demo/btcpay-simulator/index.js';
import { EXPORT_COLUMNS, type ExportedInvoice } from '../../exporter/src/export/invoice-cursor.js';
import { PROJECT_ROOT } from '../../exporter/src/version.js';
import { startTestExporter } from '../helpers/exporter.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = 1_764_000_000; // 2025-11-24T16:00:00Z
const DAY = 86_400;

const sim = new BtcpaySimulator({ clock: new ManualClock(T0), seed: 515 });
const storeA = sim.addStore({ name: 'Alpha', defaultCurrency: 'USD' });
const storeB = sim.addStore({ name: 'Beta', defaultCurrency: 'EUR' });
const key = sim.addApiKey([storeA.id, storeB.id].map((s) => `${PERM.viewInvoices}:${s}`));
generateHistory(sim, storeA.id, { days: 10, invoicesPerDay: 30, archivedShare: 0.05 });
generateHistory(sim, storeB.id, { days: 10, invoicesPerDay: 30 });

// Cells a spreadsheet would run as formulas, and cells CSV must quote.
const HOSTILE: Array<{ orderId: string; itemCode: string }> = [
  { orderId: '=HYPERLINK("http://evil.example","click")', itemCode: '+1+2' },
  { orderId: '-2+3', itemCode: '@SUM(A1:A9)' },
  { orderId: '\tleading tab', itemCode: '\rleading carriage return' },
  { orderId: 'comma, "quotes"\r\nand a line break', itemCode: 'ünïcødé ☕' },
  { orderId: '\uFF1Dfull-width equals', itemCode: 'plain' },
];
const hostileIds = HOSTILE.map((h, i) => {
  const created = T0 - 3 * 3600 - i * 60;
  const inv = sim.createInvoice(storeA.id, { amount: '12.345678901', currency: 'USD', createdTime: created, metadata: h });
  sim.pay(inv.id, { method: 'BTC-LN', at: created + 30 });
  return inv.id;
});
// Raised without any payment: its raise time is its creation time.
const marked = sim.createInvoice(storeA.id, { amount: '7.10', createdTime: T0 - 2 * 3600 });
sim.markSettled(marked.id, T0 - 2 * 3600 + 600);

// Listening before the exporters below are configured with its URL.
await sim.listen();
afterAll(() => sim.close());

const env = { BTCPAY_URL: sim.url, BTCPAY_API_KEY: key, BTCPAY_STORE_IDS: `${storeA.id},${storeB.id}`, ANGOR_ENABLE: 'false' };
const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
/** What a spreadsheet-safe CSV cell holds for a value (formula starters get a leading '). */
const cell = (v: string | number | boolean | null) =>
  v === null ? '' : typeof v === 'string' ? (/^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(v) ? `'${v}` : v) : String(v);

describe('invoice export', async () => {
  let url = '';
  let expected: ExportedInvoice[] = [];
  const exp = await startTestExporter(env, { schedule: false });
  url = exp.url;

  beforeAll(async () => {
    const results = await exp.scheduler.runAll('test');
    expect(results.map((r) => [r.source, r.ok, r.errorMessage])).toEqual([storeA.id, storeB.id].map((s) => [`btcpay:${s}`, true, undefined]));
    const db = exp.database.db;
    const rows = await db.selectFrom('invoices').selectAll().orderBy('created_time', 'desc').orderBy('id', 'desc').execute();
    const payments = await db.selectFrom('invoice_payments').selectAll().execute();
    // The raise-time rule written out again, independently of its SQL.
    const latest = new Map<string, number>();
    for (const p of payments) {
      if (p.status === 'Invalid') continue;
      latest.set(p.invoice_id, Math.max(latest.get(p.invoice_id) ?? 0, p.received_date));
    }
    expected = rows.map((r) => ({
      store: r.store_id,
      invoice_id: r.id,
      created_time: iso(r.created_time),
      status: r.status,
      additional_status: r.additional_status,
      currency: r.currency,
      amount: r.amount,
      btc_paid_sats: r.btc_paid_sats,
      counts_as_raised: r.counts_as_raised === 1,
      raise_time: r.counts_as_raised === 1 ? iso(latest.get(r.id) ?? r.created_time) : null,
      order_id: r.order_id,
      item_code: r.item_code,
      archived: r.archived === 1,
    }));
  });

  const get = (query: string, headers: Record<string, string> = {}) => fetch(`${url}/api/invoices${query}`, { headers });
  const json = async (query: string) => {
    const res = await get(query);
    expect(res.status, query).toBe(200);
    return (await res.json()) as ExportedInvoice[];
  };

  it('JSON is one array equal to the database row for row, newest first, with the simulator\'s values', async () => {
    expect(expected.length).toBe(sim.model.invoices.size);
    expect(expected.length).toBeGreaterThan(550);
    const res = await get('');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = await res.text();
    expect(body.startsWith('[\n{')).toBe(true);
    expect(JSON.parse(body)).toEqual(expected);
    const parsed = JSON.parse(body) as ExportedInvoice[];
    expect(Object.keys(parsed[0]!)).toEqual([...EXPORT_COLUMNS]);
    for (const row of parsed) {
      expect(Number.isInteger(row.btc_paid_sats)).toBe(true);
      // The simulator is the ground truth: statuses, exact prices, and raise times from its payments.
      const inv = sim.model.invoices.get(row.invoice_id)!;
      expect(row.status).toBe(inv.status);
      expect(row.amount).toBe(inv.amount);
      const accounted = inv.payments.filter((p) => p.status !== 'Invalid').map((p) => p.receivedDate);
      expect(row.raise_time).toBe(row.counts_as_raised ? iso(accounted.length > 0 ? Math.max(...accounted) : inv.createdTime) : null);
    }
    const m = parsed.find((r) => r.invoice_id === marked.id)!;
    expect(m).toMatchObject({ status: 'Settled', additional_status: 'Marked', amount: '7.10', counts_as_raised: true, raise_time: iso(marked.createdTime) });
    expect(parsed.find((r) => r.invoice_id === hostileIds[0])).toMatchObject({ amount: '12.345678901', order_id: HOSTILE[0]!.orderId });
    // Sats to the satoshi: the raised ones add up to the running total behind btcpay_raised_sats.
    const totals = await exp.database.db.selectFrom('store_totals').selectAll().execute();
    for (const t of totals) {
      const sum = parsed.filter((r) => r.store === t.store_id && r.counts_as_raised).reduce((n, r) => n + r.btc_paid_sats, 0);
      expect(sum).toBe(t.raised_sats);
    }
  });

  it('CSV is RFC 4180 with CRLF, reads back through a CSV parser to the same values, formulas neutralised', async () => {
    const res = await get('?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="invoices-\d{8}T\d{6}Z\.csv"$/);
    const text = await res.text();
    expect(text.startsWith(`${EXPORT_COLUMNS.join(',')}\r\n`)).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    // Outside quoted fields every line ends with CRLF (a bare CR or LF only occurs inside quotes).
    expect(text.replace(/"(?:[^"]|"")*"/g, 'Q')).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
    const records = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(records).toHaveLength(expected.length);
    expect(records).toEqual(expected.map((e) => Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, cell(e[c])]))));
    // The hostile cells, one by one.
    const byId = new Map(records.map((r) => [r.invoice_id, r]));
    const [eq, minus, tab, quoted, fullwidth] = hostileIds.map((id) => byId.get(id)!);
    expect(eq).toMatchObject({ order_id: `'=HYPERLINK("http://evil.example","click")`, item_code: "'+1+2" });
    expect(minus).toMatchObject({ order_id: "'-2+3", item_code: "'@SUM(A1:A9)" });
    expect(tab).toMatchObject({ order_id: "'\tleading tab", item_code: "'\rleading carriage return" });
    expect(quoted).toMatchObject({ order_id: 'comma, "quotes"\r\nand a line break', item_code: 'ünïcødé ☕' });
    expect(fullwidth!.order_id).toBe("'\uFF1Dfull-width equals");
    expect(text).toContain('"\'=HYPERLINK(""http://evil.example"",""click"")"');
    expect(eq!.amount).toBe('12.345678901');
  });

  it('JSON keeps the stored values as they are (no neutralising)', async () => {
    const rows = await json(`?store=${storeA.id}`);
    expect(rows.find((r) => r.invoice_id === hostileIds[0])!.order_id).toBe(HOSTILE[0]!.orderId);
    expect(rows.find((r) => r.invoice_id === hostileIds[2])!.item_code).toBe(HOSTILE[2]!.itemCode);
  });

  it('chooses CSV by Accept: text/csv, NDJSON is one object per line, format= wins over Accept', async () => {
    const csv = await get('', { accept: 'text/csv' });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(parse(await csv.text(), { columns: true })).toHaveLength(expected.length);
    const nd = await get('?format=ndjson', { accept: 'text/csv' });
    expect(nd.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const lines = (await nd.text()).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(expected);
    const browser = await get('', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(browser.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('filters by store, status (repeatable), creation time (inclusive, unix or ISO 8601) and raised', async () => {
    const expect_ = (pred: (e: ExportedInvoice) => boolean) => expected.filter(pred);
    expect(await json(`?store=${storeB.id}`)).toEqual(expect_((e) => e.store === storeB.id));
    const two = await json('?status=Settled&status=Expired');
    expect(two).toEqual(expect_((e) => e.status === 'Settled' || e.status === 'Expired'));
    expect(new Set(two.map((r) => r.status))).toEqual(new Set(['Settled', 'Expired']));
    expect(await json('?status=invalid,new')).toEqual(expect_((e) => e.status === 'Invalid' || e.status === 'New'));
    expect(await json('?raised=true')).toEqual(expect_((e) => e.counts_as_raised));
    expect(await json('?raised=false')).toEqual(expect_((e) => !e.counts_as_raised));

    // Bounds are inclusive: from = to = one invoice's creation second returns it.
    const pick = expected[100]!;
    const t = Date.parse(pick.created_time) / 1000;
    const same = expect_((e) => e.created_time === pick.created_time);
    expect(await json(`?from=${t}&to=${t}`)).toEqual(same);
    expect(await json(`?from=${encodeURIComponent(pick.created_time)}&to=${encodeURIComponent(pick.created_time)}`)).toEqual(same);
    // Offsets count; a date alone as `to` is the whole day.
    const plus2 = new Date((t + 7200) * 1000).toISOString().slice(0, 19) + '+02:00';
    expect(await json(`?from=${encodeURIComponent(plus2)}&to=${t}`)).toEqual(same);
    const day = pick.created_time.slice(0, 10);
    expect(await json(`?from=${day}&to=${day}`)).toEqual(expect_((e) => e.created_time.startsWith(day)));
    expect(await json(`?from=${t - DAY}&to=${t}&store=${pick.store}&raised=${pick.counts_as_raised}&status=${pick.status}`)).toEqual(
      expect_((e) => {
        const c = Date.parse(e.created_time) / 1000;
        return c >= t - DAY && c <= t && e.store === pick.store && e.counts_as_raised === pick.counts_as_raised && e.status === pick.status;
      }),
    );
  });

  it('an unknown store is an empty result, not an error', async () => {
    expect(await json('?store=NoSuchStore')).toEqual([]);
    const csv = await get('?store=NoSuchStore&format=csv');
    expect(csv.status).toBe(200);
    expect(await csv.text()).toBe(`${EXPORT_COLUMNS.join(',')}\r\n`);
    expect(await (await get('?store=NoSuchStore&format=ndjson')).text()).toBe('');
  });

  it('bad parameters are 400 with a JSON body naming the parameter', async () => {
    const cases: Array<[string, string]> = [
      ['from=yesterday', 'from'],
      ['to=2025-02-30', 'to'],
      ['to=2025-01-01T25:00:00Z', 'to'],
      ['format=xml', 'format'],
      ['status=Paid', 'status'],
      ['status=Settled&status=Bogus', 'status'],
      ['raised=maybe', 'raised'],
      ['format=csv&format=json', 'format'],
      ['store=', 'store'],
      ['from=100&to=50', 'to'],
      ['limit=10', 'limit'],
    ];
    for (const [query, parameter] of cases) {
      const res = await get(`?${query}`);
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: string; parameter: string; message: string };
      expect(body, query).toMatchObject({ error: 'bad_request', parameter });
      expect(body.message.startsWith(`${parameter}: `), query).toBe(true);
    }
  });

  it('a client that leaves mid-download does not break the next export', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${url}/api/invoices?format=ndjson`, { signal: ctrl.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ctrl.abort();
    await reader.closed.catch(() => undefined);
    expect(await json('')).toEqual(expected);
  });

  describe('crowdfund-exporter export', () => {
    const dir = tempDir('crowdfund-export-');
    const cli = (args: string[]) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'exporter/src/cli.ts'), 'export', ...args], {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_PATH: exp.database.path, LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      return once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
    };

    it('writes the same bytes as the HTTP export, for the same filters', async () => {
      const out = join(dir, 'settled.csv');
      const r = await cli(['--format', 'csv', '--store', storeA.id, '--status', 'Settled', '--status', 'Expired', '--raised', 'true', '--out', out]);
      expect(r.stderr).toMatch(/^exported \d+ invoices to .*settled\.csv\n$/);
      expect(r.code).toBe(0);
      const http = await (await get(`?format=csv&store=${storeA.id}&status=Settled&status=Expired&raised=true`)).text();
      expect(readFileSync(out, 'utf8')).toBe(http);
      expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
    }, 30_000);

    it('errors are one line on stderr and exit code 2, leaving no file behind', async () => {
      const out = join(dir, 'bad.json');
      const r = await cli(['--raised', 'maybe', '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('error: --raised: must be true or false (got "maybe")\n');
      expect(existsSync(out)).toBe(false);
      const missing = await cli(['--format', 'json']);
      expect(missing.code).toBe(2);
      expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    }, 30_000);
  });
});

describe('invoice export with ADMIN_TOKEN', async () => {
  const exp = await startTestExporter({ ...env, ADMIN_TOKEN: 'admin-token-7Q2Z', METRICS_TOKEN: 'metrics-token-4K9P' }, { schedule: false });

  it('needs the admin token as a bearer token (the metrics token is not enough)', async () => {
    const u = `${exp.url}/api/invoices?format=csv`;
    const none = await fetch(u);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(u, { headers: { authorization: 'Bearer metrics-token-4K9P' } })).status).toBe(401);
    const ok = await fetch(u, { headers: { authorization: 'Bearer admin-token-7Q2Z' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe(`${EXPORT_COLUMNS.join(',')}\r\n`);
    // Parameters are only looked at once the caller is allowed in.
    expect((await fetch(`${exp.url}/api/invoices?raised=maybe`)).status).toBe(401);
  });
});
