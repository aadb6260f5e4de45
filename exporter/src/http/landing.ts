// The configuration block of the status page, in the style of Prometheus exporters' landing pages:
// what runs, where it reads from (secrets masked), the webhook URL to paste into BTCPay, the last
// sync per source.
export interface LandingSource {
  name: string;
  details: Array<[string, string]>;
}

export interface LandingSync {
  source: string;
  lastOutcome: string | null;
  lastSuccessAt: number | null;
  lastAttemptAt: number | null;
  lastErrorReason: string | null;
  lastDurationSeconds: number | null;
}

export interface LandingSection {
  title: string;
  /** Rows of cells; each cell is plain text (escaped here). */
  columns: string[];
  rows: string[][];
  empty: string;
}

export interface LandingData {
  version: string;
  mode: 'demo' | 'live';
  sources: LandingSource[];
  webhookUrl: string | undefined;
  sync: LandingSync[];
  metricsProtected: boolean;
  sections: LandingSection[];
  now: number;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A unix time as ISO 8601 with how long ago it was; `never` for none. */
export function when(ts: number | null, now: number): string {
  if (ts === null || ts === 0) return 'never';
  const ago = Math.max(0, now - ts);
  const rel = ago < 120 ? `${ago}s ago` : ago < 7200 ? `${Math.round(ago / 60)} min ago` : `${Math.round(ago / 3600)} h ago`;
  return `${new Date(ts * 1000).toISOString().replace('.000Z', 'Z')} (${rel})`;
}

function table(columns: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="muted">${escapeHtml(empty)}</p>`;
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/**
 * The configuration block of the status page (http/status-page.ts): what runs, where it reads from
 * (secrets masked), the webhook URL to paste into BTCPay, the last sync per source, and the extra
 * sections (recent webhook deliveries). An HTML fragment; every value is escaped here.
 */
export function renderConfiguration(d: LandingData): string {
  const sources = d.sources
    .map(
      (s) =>
        `<h3>${escapeHtml(s.name)}</h3>\n<div class="scroll"><table class="kv">${s.details
          .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`)
          .join('')}</table></div>`,
    )
    .join('\n');
  const sync = table(
    ['source', 'last outcome', 'last success', 'last attempt', 'last error', 'duration'],
    d.sync.map((s) => [
      s.source,
      s.lastOutcome ?? 'not run yet',
      when(s.lastSuccessAt, d.now),
      when(s.lastAttemptAt, d.now),
      s.lastErrorReason ?? '',
      s.lastDurationSeconds === null ? '' : `${s.lastDurationSeconds.toFixed(2)} s`,
    ]),
    'No sync source is configured.',
  );
  const sections = d.sections
    .map((s) => `<h3>${escapeHtml(s.title)}</h3>\n${table(s.columns, s.rows, s.empty)}`)
    .join('\n');
  const webhook = d.webhookUrl
    ? `<h3>BTCPay webhook</h3>
<p>In BTCPay Server, open <em>Store settings → Webhooks → Create webhook</em> and paste this payload URL;
give the webhook the same secret as <code>BTCPAY_WEBHOOK_SECRET</code> and keep automatic redelivery on.</p>
<p><code class="big">${escapeHtml(d.webhookUrl)}</code></p>`
    : '';
  return `<h3>Sources</h3>
${sources || '<p class="muted">No source is configured.</p>'}
${webhook}
<h3>Last sync</h3>
${sync}
${sections}`;
}
