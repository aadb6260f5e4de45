// GET /: the status page a person looks at. Per BTCPay store: raised, contributions, average,
// invoices per status, raised in the last 24 h and 7 d with a 30-day chart, webhook and sync
// health; Crowdfund apps with their progress; Angor projects; then the configuration block.
//
// The figures /metrics also serves come from the same readers the collectors use
// (db/running-totals.ts, metrics/angor-collector.ts angorProjectFigures), so at any moment the page
// and a scrape agree. The 24 h / 7 d sums and the chart are not in /metrics: they place each raised
// invoice at its raise time (db/raise-time.ts) and are read per window from invoices and payments.
//
// Server-rendered HTML with an inline SVG chart and inline CSS: no script, no external asset, no
// request to anywhere but the exporter. Every value from outside (store ids, app titles, Angor
// names from Nostr) is escaped, and the Content-Security-Policy forbids scripts besides.
import type { Kysely } from 'kysely';
import { raisedBetween, raisedPerDay, type RaisedDay } from '../store/raise-time.js';
import {
  readAngorProjects,
  readCrowdfundTotals,
  readInvoiceTotals,
  readSyncTotals,
  readWebhookTotals,
  storesOf,
} from '../store/running-totals.js';
import { INVOICE_STATUSES, type Database, type InvoiceStatus } from '../store/schema.js';
import { angorProjectFigures } from '../metrics/angor-collector.js';
import type { LifecycleState } from '../sources/angor/lifecycle.js';
import { Decimal, parseDecimal, plain, satsToBtc } from '../money.js';
import { escapeHtml as esc } from './landing.js';

const DAY = 86_400;
/** Bars in the raised-per-day chart: the last 30 UTC days, today included. */
export const CHART_DAYS = 30;
/** Mirrors the CrowdfundSyncStale alert (syncs every 5 minutes; stale after 15 without success). */
const SYNC_STALE_SECONDS = 900;
/** Mirrors the BTCPayWebhooksSilent alert: invoices an hour newer than the last verified delivery. */
const WEBHOOK_SILENT_SECONDS = 3600;

export type Health = 'ok' | 'warn' | 'error' | 'idle';

export interface HealthStatus {
  health: Health;
  text: string;
}

export interface StoreStatus {
  store: string;
  /** btcpay_raised_sats */
  raisedSats: number;
  /** btcpay_contributions */
  contributions: number;
  /** btcpay_invoices per status */
  invoices: Record<InvoiceStatus, number>;
  /** btcpay_raised_amount: exact decimal strings per price currency */
  raisedAmounts: Array<{ currency: string; amount: string }>;
  /** btcpay_last_invoice_created_timestamp_seconds (0: none) */
  lastInvoiceCreated: number;
  /** By raise time. */
  last24h: { sats: number; contributions: number };
  last7d: { sats: number; contributions: number };
  /** CHART_DAYS entries, oldest first; `day` is the start of the UTC day. */
  days: Array<{ day: number; sats: number; contributions: number }>;
  webhook: HealthStatus & {
    lastVerifiedAt: number;
    deliveryFailures: number;
    missed: number;
    verificationFailures: number;
  };
  sync: HealthStatus & { lastSuccessAt: number; lastAttemptAt: number };
}

export interface AppStatus {
  app: string;
  store: string;
  title: string;
  currency: string;
  /** Exact decimal strings in the target currency (btcpay_crowdfund_*). */
  target: string | null;
  settled: string;
  pending: string;
  raisedSats: number;
  contributors: number;
  startDate: number | null;
  endDate: number | null;
  resetEvery: string;
  resetEveryAmount: number;
  nextReset: number | null;
  hardCap: boolean;
}

export interface ProjectStatus {
  project: string;
  name: string;
  network: string;
  state: LifecycleState;
  raisedSats: number;
  targetSats: number;
  investments: number;
  end: number | null;
}

export interface StatusData {
  now: number;
  stores: StoreStatus[];
  apps: AppStatus[];
  projects: ProjectStatus[];
}

const dayStart = (t: number) => Math.floor(t / DAY) * DAY;

function webhookHealth(lastVerified: number, failures: number, lastInvoice: number): HealthStatus {
  if (failures > 0) return { health: 'warn', text: `BTCPay lists ${failures} failed deliver${failures === 1 ? 'y' : 'ies'}` };
  if (lastVerified === 0) {
    return lastInvoice > 0
      ? { health: 'warn', text: 'no verified delivery yet' }
      : { health: 'idle', text: 'no delivery yet' };
  }
  if (lastInvoice - lastVerified > WEBHOOK_SILENT_SECONDS) {
    return { health: 'warn', text: `silent: the newest invoice is ${duration(lastInvoice - lastVerified)} newer than the last verified delivery` };
  }
  return { health: 'ok', text: 'verified deliveries arriving' };
}

function syncHealth(state: { last_outcome: string | null; last_success_at: number | null; last_error_reason: string | null } | undefined, now: number): HealthStatus {
  if (!state || state.last_outcome === null) return { health: 'idle', text: 'not run yet' };
  if (state.last_outcome !== 'success') return { health: 'error', text: `last run failed (${state.last_error_reason ?? 'error'})` };
  const age = now - (state.last_success_at ?? 0);
  if (age > SYNC_STALE_SECONDS) return { health: 'warn', text: `stale: no success for ${duration(age)}` };
  return { health: 'ok', text: 'last run succeeded' };
}

/** Everything the page shows, read from the database at `now`. */
export async function loadStatus(db: Kysely<Database>, now: number): Promise<StatusData> {
  const firstDay = dayStart(now) - (CHART_DAYS - 1) * DAY;
  const [totals, webhooks, sync, crowdfund, angor, perDay, day, week] = await Promise.all([
    readInvoiceTotals(db),
    readWebhookTotals(db),
    readSyncTotals(db),
    readCrowdfundTotals(db),
    readAngorProjects(db),
    raisedPerDay(db, firstDay, now),
    raisedBetween(db, now - DAY, now),
    raisedBetween(db, now - 7 * DAY, now),
  ]);
  const byDay = new Map<string, RaisedDay>(perDay.map((d) => [`${d.store_id}\u0000${d.day}`, d]));
  const stores = storesOf(totals).map((store): StoreStatus => {
    const t = totals.stores.find((s) => s.store_id === store);
    const invoices = Object.fromEntries(INVOICE_STATUSES.map((s) => [s, 0])) as Record<InvoiceStatus, number>;
    for (const r of totals.statuses) if (r.store_id === store) invoices[r.status] = r.invoices;
    const ws = webhooks.states.find((s) => s.store_id === store);
    const count = (counter: string) =>
      webhooks.counters.filter((c) => c.store_id === store && c.counter === counter).reduce((n, c) => n + c.count, 0);
    const lastVerifiedAt = ws?.last_verified_at ?? 0;
    const deliveryFailures = ws?.delivery_failures ?? 0;
    const lastInvoiceCreated = t?.last_invoice_created ?? 0;
    const ss = sync.states.find((s) => s.source === `btcpay:${store}`);
    const window = (rows: typeof day) => {
      const r = rows.find((x) => x.store_id === store);
      return { sats: r?.sats ?? 0, contributions: r?.contributions ?? 0 };
    };
    return {
      store,
      raisedSats: t?.raised_sats ?? 0,
      contributions: t?.contributions ?? 0,
      invoices,
      raisedAmounts: totals.amounts.filter((a) => a.store_id === store).map((a) => ({ currency: a.currency, amount: a.amount })),
      lastInvoiceCreated,
      last24h: window(day),
      last7d: window(week),
      days: Array.from({ length: CHART_DAYS }, (_, i) => {
        const d = firstDay + i * DAY;
        const row = byDay.get(`${store}\u0000${d}`);
        return { day: d, sats: row?.sats ?? 0, contributions: row?.contributions ?? 0 };
      }),
      webhook: {
        ...webhookHealth(lastVerifiedAt, deliveryFailures, lastInvoiceCreated),
        lastVerifiedAt,
        deliveryFailures,
        missed: count('missed'),
        verificationFailures: count('verification_failures'),
      },
      sync: { ...syncHealth(ss, now), lastSuccessAt: ss?.last_success_at ?? 0, lastAttemptAt: ss?.last_attempt_at ?? 0 },
    };
  });
  const progressOf = new Map(crowdfund.progress.map((p) => [p.app_id, p]));
  const apps = crowdfund.apps.map((a): AppStatus => {
    const p = progressOf.get(a.app_id);
    return {
      app: a.app_id,
      store: a.store_id,
      title: a.title,
      currency: a.target_currency.toUpperCase(),
      target: a.target_amount,
      settled: p?.settled_amount ?? '0',
      pending: p?.pending_amount ?? '0',
      raisedSats: p?.raised_sats ?? 0,
      contributors: p?.contributors ?? 0,
      startDate: a.start_date,
      endDate: a.end_date,
      resetEvery: a.reset_every,
      resetEveryAmount: a.reset_every_amount,
      nextReset: p?.next_reset ?? null,
      hardCap: a.enforce_target_amount === 1,
    };
  });
  const projects: ProjectStatus[] = [];
  for (const row of angor) {
    const f = angorProjectFigures(row, now);
    if (!f) continue;
    projects.push({
      project: row.project_id,
      name: row.name ?? '',
      network: row.network,
      state: f.state,
      raisedSats: f.raised,
      targetSats: f.target,
      investments: f.investments,
      end: f.end,
    });
  }
  return { now, stores, apps, projects };
}

// ---- rendering -------------------------------------------------------------------------------

const sats = (n: number) => n.toLocaleString('en-US');
const isoDay = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
const isoTime = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/** A span of seconds for people: "40 s", "12 min", "5 h 3 min", "3 d 4 h". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < DAY) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / DAY)} d ${Math.floor((s % DAY) / 3600)} h`;
}

function ago(t: number, now: number): string {
  if (t === 0) return 'never';
  return `<time datetime="${isoTime(t)}" title="${isoTime(t)}">${duration(now - t)} ago</time>`;
}

/** Adds thousands separators to the integer part of a decimal string. */
function decimal(s: string): string {
  const [int, frac] = s.split('.');
  const grouped = (int ?? '0').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac ? `${grouped}.${frac}` : grouped;
}

/** Decimal places shown for a price currency (the exact value is in the title attribute). */
const places = (currency: string) => (currency === 'BTC' ? 8 : currency === 'SATS' ? 0 : 2);

/** An exact decimal string rounded for reading, with the exact value on hover; HTML. */
function money(amount: string, currency: string): string {
  const shown = decimal(parseDecimal(amount).toFixed(places(currency)));
  return `<span title="${esc(amount)} ${esc(currency)}">${esc(shown)}</span>`;
}

function badge(h: HealthStatus): string {
  return `<span class="badge ${h.health}">${esc(h.health === 'ok' ? 'OK' : h.health === 'idle' ? '—' : h.health === 'warn' ? 'warning' : 'error')}</span> ${esc(h.text)}`;
}

function kpi(label: string, key: string, store: string, value: number, display: string, sub = ''): string {
  return `<div class="kpi" data-kpi="${key}" data-store="${esc(store)}" data-value="${value}"><div class="label">${esc(label)}</div><div class="value">${display}</div>${
    sub ? `<div class="sub">${sub}</div>` : ''
  }</div>`;
}

/** The 30 bars as inline SVG (one <rect class="bar"> per day), with the values in a table below. */
function chart(s: StoreStatus): string {
  const max = Math.max(0, ...s.days.map((d) => d.sats));
  const W = 10;
  const H = 100;
  const bars = s.days
    .map((d, i) => {
      const h = max === 0 ? 0 : Math.max(d.sats > 0 ? 1 : 0, Math.round((d.sats / max) * (H - 4) * 100) / 100);
      return `<rect class="bar" x="${i * W + 1}" y="${(H - h).toFixed(2)}" width="${W - 2}" height="${h.toFixed(2)}" data-day="${isoDay(d.day)}" data-sats="${d.sats}"><title>${isoDay(d.day)}: ${sats(d.sats)} sats (${d.contributions} contribution${d.contributions === 1 ? '' : 's'})</title></rect>`;
    })
    .join('');
  const rows = s.days
    .map((d) => `<tr><td>${isoDay(d.day)}</td><td class="num">${sats(d.sats)}</td><td class="num">${d.contributions}</td></tr>`)
    .join('');
  const first = s.days[0]!;
  const last = s.days[s.days.length - 1]!;
  return `<figure class="chart">
<figcaption>Raised per day, last ${CHART_DAYS} days (UTC, by raise time) · peak ${sats(max)} sats</figcaption>
<svg viewBox="0 0 ${CHART_DAYS * W} ${H}" preserveAspectRatio="none" role="img" aria-label="Raised per day over the last ${CHART_DAYS} days, in sats">
<line class="axis" x1="0" y1="${H - 0.5}" x2="${CHART_DAYS * W}" y2="${H - 0.5}"/>${bars}</svg>
<div class="axis-labels"><span>${isoDay(first.day)}</span><span>today</span></div>
<details><summary>Values</summary><div class="scroll"><table><thead><tr><th>day</th><th>sats</th><th>contributions</th></tr></thead><tbody>${rows}</tbody></table></div></details>
</figure>`;
}

function storeSection(s: StoreStatus, now: number): string {
  const avg = s.contributions > 0 ? Math.round(s.raisedSats / s.contributions) : 0;
  const byPrice = s.raisedAmounts.map((a) => `${money(a.amount, a.currency)} ${esc(a.currency)}`).join(' · ');
  const statuses = INVOICE_STATUSES.map(
    (st) => `<li data-status="${st}" data-value="${s.invoices[st]}"><span class="label">${st}</span> <b>${sats(s.invoices[st])}</b></li>`,
  ).join('');
  return `<section class="store" data-store="${esc(s.store)}">
<h2>Store <code>${esc(s.store)}</code></h2>
<div class="kpis">
${kpi('Raised', 'raised_sats', s.store, s.raisedSats, `${satsToBtc(s.raisedSats)} BTC`, `${sats(s.raisedSats)} sats${byPrice ? ` · ${byPrice}` : ''}`)}
${kpi('Contributions', 'contributions', s.store, s.contributions, sats(s.contributions))}
${kpi('Average contribution', 'average_sats', s.store, avg, s.contributions > 0 ? `${sats(avg)} sats` : '—')}
${kpi('Last 24 h', 'raised_24h_sats', s.store, s.last24h.sats, `${sats(s.last24h.sats)} sats`, `${sats(s.last24h.contributions)} contributions`)}
${kpi('Last 7 days', 'raised_7d_sats', s.store, s.last7d.sats, `${sats(s.last7d.sats)} sats`, `${sats(s.last7d.contributions)} contributions`)}
</div>
<ul class="statuses" aria-label="Invoices per status">${statuses}</ul>
${chart(s)}
<ul class="health">
<li data-health="webhook" data-state="${s.webhook.health}"><b>Webhook</b> ${badge(s.webhook)} · last verified ${ago(s.webhook.lastVerifiedAt, now)} · missed ${sats(s.webhook.missed)} · refused ${sats(s.webhook.verificationFailures)} (since the start)</li>
<li data-health="sync" data-state="${s.sync.health}"><b>Sync</b> ${badge(s.sync)} · last success ${ago(s.sync.lastSuccessAt, now)}</li>
</ul>
</section>`;
}

/** Percent of `part` in `whole` (exact decimals), rounded to one place; null without a goal. */
function percent(part: Decimal, whole: string | null): Decimal | null {
  if (whole === null) return null;
  const w = parseDecimal(whole);
  if (w.lte(0)) return null;
  return part.div(w).times(100);
}

function timeLeft(start: number | null, end: number | null, now: number): string {
  if (start !== null && start > now) return `starts in ${duration(start - now)}`;
  if (end === null) return 'no end date';
  return end > now ? `${duration(end - now)} left` : `ended ${duration(now - end)} ago`;
}

function appCard(a: AppStatus, now: number): string {
  const settled = parseDecimal(a.settled);
  const pending = parseDecimal(a.pending);
  const raised = settled.plus(pending);
  const pct = percent(raised, a.target);
  const settledPct = percent(settled, a.target);
  const w = (d: Decimal | null) => (d === null ? 0 : Math.min(100, Math.max(0, d.toNumber())));
  const settledWidth = w(settledPct);
  const pendingWidth = Math.min(100 - settledWidth, Math.max(0, w(pct) - settledWidth));
  const resets = a.resetEvery !== 'Never' ? ` · goal resets every ${a.resetEveryAmount > 1 ? `${a.resetEveryAmount} ` : ''}${esc(a.resetEvery.toLowerCase())}${a.resetEveryAmount > 1 ? 's' : ''}${a.nextReset !== null ? `, next in ${duration(a.nextReset - now)}` : ''}` : '';
  const bar =
    pct === null
      ? '<p class="muted">No goal set.</p>'
      : `<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${w(pct).toFixed(1)}" aria-label="${esc(a.title)}: percent of goal"><span class="settled" style="width:${settledWidth.toFixed(2)}%"></span><span class="pending" style="width:${pendingWidth.toFixed(2)}%"></span></div>`;
  return `<article class="app" data-app="${esc(a.app)}" data-settled="${esc(a.settled)}" data-pending="${esc(a.pending)}" data-target="${esc(a.target ?? '')}" data-contributors="${a.contributors}" data-percent="${pct === null ? '' : pct.toFixed(1)}">
<h3>${esc(a.title)}</h3>
<p class="big"><b>${pct === null ? '—' : `${pct.toFixed(1)}%`}</b> ${pct === null ? '' : 'of the goal'} · ${money(plain(raised), a.currency)} ${a.target !== null ? `of ${money(a.target, a.currency)} ` : ''}${esc(a.currency)}</p>
${bar}
<p class="muted">settled ${money(a.settled, a.currency)} · pending ${money(a.pending, a.currency)} ${esc(a.currency)} · ${sats(a.raisedSats)} sats · ${sats(a.contributors)} contributor${a.contributors === 1 ? '' : 's'} · ${timeLeft(a.startDate, a.endDate, now)}${resets}${a.hardCap ? ' · hard cap' : ''} · store <code>${esc(a.store)}</code></p>
</article>`;
}

const STATE_LABELS: Record<LifecycleState, string> = {
  upcoming: 'upcoming',
  funding: 'funding',
  target_reached: 'target reached',
  succeeded: 'succeeded',
  failed: 'failed',
  expired: 'expired',
};

function projectCard(p: ProjectStatus, now: number): string {
  const pct = p.targetSats > 0 ? (p.raisedSats / p.targetSats) * 100 : null;
  const bar =
    pct === null
      ? ''
      : `<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${Math.min(100, pct).toFixed(1)}" aria-label="percent of target"><span class="settled" style="width:${Math.min(100, pct).toFixed(2)}%"></span></div>`;
  const end = p.end === null ? 'no end date' : p.end > now ? `ends in ${duration(p.end - now)}` : `ended ${duration(now - p.end)} ago`;
  return `<article class="project" data-project="${esc(p.project)}" data-raised="${p.raisedSats}" data-target="${p.targetSats}" data-investments="${p.investments}" data-state="${p.state}">
<h3><span class="name">${esc(p.name || p.project)}</span> <span class="state ${p.state}">${STATE_LABELS[p.state]}</span></h3>
<p class="big">${pct === null ? '' : `<b>${pct.toFixed(1)}%</b> · `}${sats(p.raisedSats)}${p.targetSats > 0 ? ` of ${sats(p.targetSats)}` : ''} sats${p.targetSats > 0 ? '' : ' (no target)'}</p>
${bar}
<p class="muted">${sats(p.investments)} investment${p.investments === 1 ? '' : 's'} · ${esc(end)} · ${esc(p.network)}<br><code class="id">${esc(p.project)}</code></p>
</article>`;
}

export interface StatusPageOptions {
  version: string;
  mode: 'demo' | 'live';
  grafanaUrl: string | undefined;
  metricsProtected: boolean;
  exportProtected: boolean;
  /** GET /api/webhooks is served (BTCPay is used). */
  webhooksApi: boolean;
  /** The configuration block (http/landing.ts renderConfiguration), already escaped. */
  configuration: string;
}

const CSS = `
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;padding:1rem;max-width:72rem;color:#1d1d1f;background:#fafafa;line-height:1.4}
h1{margin:.2rem 0;font-size:1.6rem} h2{font-size:1.25rem;margin:0 0 .6rem} h3{font-size:1.05rem;margin:.9rem 0 .4rem}
a{color:#0b57d0} code{background:#eef0f3;padding:0 .25rem;border-radius:.2rem;overflow-wrap:anywhere} code.big{font-size:1.05rem}
.muted{color:#666} nav ul{list-style:none;padding:0;margin:.4rem 0 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1rem}
section.store,section.block{background:#fff;border:1px solid #e3e3e3;border-radius:.6rem;padding:1rem;margin:0 0 1rem}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.6rem}
.kpi{background:#f5f7fa;border-radius:.5rem;padding:.55rem .7rem;min-width:0}
.kpi .label{font-size:.8rem;color:#555;text-transform:uppercase;letter-spacing:.03em}
.kpi .value{font-size:1.35rem;font-weight:600;overflow-wrap:anywhere} .kpi .sub{font-size:.8rem;color:#555;overflow-wrap:anywhere}
ul.statuses{list-style:none;padding:0;margin:.8rem 0;display:flex;flex-wrap:wrap;gap:.4rem}
ul.statuses li{background:#f1f1f1;border-radius:1rem;padding:.1rem .65rem;font-size:.9rem}
figure.chart{margin:.6rem 0}
figure.chart figcaption{font-size:.85rem;color:#555;margin-bottom:.3rem}
figure.chart svg{display:block;width:100%;height:8rem;background:#fcfcfd;border-bottom:1px solid #ccc}
rect.bar{fill:#f7931a} line.axis{stroke:#bbb;stroke-width:1;vector-effect:non-scaling-stroke}
.axis-labels{display:flex;justify-content:space-between;font-size:.75rem;color:#666}
details{font-size:.85rem;margin-top:.3rem}
ul.health{list-style:none;padding:0;margin:.4rem 0 0} ul.health li{margin:.25rem 0;overflow-wrap:anywhere}
.badge{display:inline-block;border-radius:.3rem;padding:0 .4rem;font-size:.8rem;font-weight:600}
.badge.ok{background:#d1e7dd;color:#0f5132} .badge.warn{background:#fff3cd;color:#664d03}
.badge.error{background:#f8d7da;color:#842029} .badge.idle{background:#e9ecef;color:#495057}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.8rem}
article{border:1px solid #e6e6e6;border-radius:.5rem;padding:.7rem .8rem;min-width:0}
article h3{margin:0 0 .3rem;overflow-wrap:anywhere} article p{margin:.3rem 0} p.big{font-size:1.05rem}
.progress{display:flex;height:.9rem;background:#e9ecef;border-radius:.45rem;overflow:hidden;margin:.35rem 0}
.progress .settled{background:#198754} .progress .pending{background:#9bd3b5}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.4rem 0 .8rem;font-size:.9rem} th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f6f6} td.num{text-align:right;white-space:nowrap} table.kv td{overflow-wrap:anywhere}
code.id{font-size:.75rem}
.state{border-radius:.3rem;padding:0 .35rem;background:#e9ecef;font-size:.8rem;font-weight:normal;white-space:nowrap} .state.funding,.state.target_reached{background:#d1e7dd}
.state.succeeded{background:#cfe2ff} .state.failed,.state.expired{background:#f8d7da} .state.upcoming{background:#fff3cd}
.mode{display:inline-block;padding:.1rem .5rem;border-radius:.3rem}
.mode.demo{background:#fff3cd} .mode.live{background:#d1e7dd}
@media (max-width:30rem){body{padding:.6rem} .kpi .value{font-size:1.15rem}}
`;

/** Content-Security-Policy of the page: nothing but its own inline styles; no script at all. */
export const STATUS_PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function renderStatusPage(d: StatusData, o: StatusPageOptions): string {
  const links = [
    `<li><a href="metrics">Metrics</a>${o.metricsProtected ? ' (needs the bearer token)' : ''}</li>`,
    `<li><a href="api/invoices?format=csv">Invoices (CSV)</a> · <a href="api/invoices">JSON</a>${o.exportProtected ? ' (needs the admin token)' : ''}</li>`,
    o.webhooksApi ? `<li><a href="api/webhooks">Webhook deliveries</a>${o.metricsProtected ? ' (needs the bearer token)' : ''}</li>` : '',
    o.grafanaUrl ? `<li><a href="${esc(o.grafanaUrl)}">Grafana</a></li>` : '',
    `<li><a href="health">Health</a> · <a href="ready">Readiness</a></li>`,
  ].join('');
  const stores = d.stores.length
    ? d.stores.map((s) => storeSection(s, d.now)).join('\n')
    : '<section class="block"><p class="muted">No BTCPay store yet: configure BTCPAY_URL, BTCPAY_API_KEY and BTCPAY_STORE_IDS.</p></section>';
  const apps = d.apps.length
    ? `<section class="block" id="crowdfund"><h2>Crowdfund apps</h2><div class="cards">${d.apps.map((a) => appCard(a, d.now)).join('\n')}</div></section>`
    : '';
  const projects = d.projects.length
    ? `<section class="block" id="angor"><h2>Angor projects</h2><div class="cards">${d.projects.map((p) => projectCard(p, d.now)).join('\n')}</div></section>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Crowdfund status</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Crowdfund Exporter</h1>
<p class="muted">Status at <time datetime="${isoTime(d.now)}">${isoTime(d.now)}</time> · mode <span class="mode ${o.mode}">${o.mode}</span> · version ${esc(o.version)}${
    o.mode === 'demo' ? ' · BTCPay is not configured, so the built-in simulator feeds the exporter with demo data' : ''
  }</p>
<nav><ul>${links}</ul></nav>
</header>
<main>
${stores}
${apps}
${projects}
<section class="block" id="configuration"><h2>Configuration</h2>
${o.configuration}
</section>
</main>
</body>
</html>
`;
}
