// The landing page, in the style of Prometheus exporters: what runs, where it reads from (secrets
// masked), the webhook URL to paste into BTCPay, the last sync per source, and links.
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

function when(ts: number | null, now: number): string {
  if (ts === null || ts === 0) return 'never';
  const ago = Math.max(0, now - ts);
  const rel = ago < 120 ? `${ago}s ago` : ago < 7200 ? `${Math.round(ago / 60)} min ago` : `${Math.round(ago / 3600)} h ago`;
  return `${new Date(ts * 1000).toISOString().replace('.000Z', 'Z')} (${rel})`;
}

function table(columns: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="muted">${escapeHtml(empty)}</p>`;
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function renderLanding(d: LandingData): string {
  const sources = d.sources
    .map(
      (s) =>
        `<h3>${escapeHtml(s.name)}</h3>\n<table>${s.details
          .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`)
          .join('')}</table>`,
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
    .map((s) => `<h2>${escapeHtml(s.title)}</h2>\n${table(s.columns, s.rows, s.empty)}`)
    .join('\n');
  const webhook = d.webhookUrl
    ? `<h2>BTCPay webhook</h2>
<p>In BTCPay Server, open <em>Store settings → Webhooks → Create webhook</em> and paste this payload URL;
give the webhook the same secret as <code>BTCPAY_WEBHOOK_SECRET</code> and keep automatic redelivery on.</p>
<p><code class="big">${escapeHtml(d.webhookUrl)}</code></p>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Crowdfund Exporter</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
h1{margin-bottom:.2rem} .muted{color:#777}
table{border-collapse:collapse;margin:.5rem 0 1rem} th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f6f6} code{background:#f3f3f3;padding:0 .2rem} code.big{font-size:1.1rem}
.mode{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;background:${d.mode === 'demo' ? '#fff3cd' : '#d1e7dd'}}
</style>
</head>
<body>
<h1>Crowdfund Exporter</h1>
<p>Version ${escapeHtml(d.version)} · mode <span class="mode">${d.mode}</span>${
    d.mode === 'demo' ? ' · BTCPay is not configured, so the built-in simulator feeds the exporter with demo data' : ''
  }</p>
<ul>
<li><a href="metrics">Metrics</a>${d.metricsProtected ? ' (needs the bearer token)' : ''}</li>
<li><a href="health">Health</a> · <a href="ready">Readiness</a></li>
</ul>
<h2>Sources</h2>
${sources || '<p class="muted">No source is configured.</p>'}
${webhook}
<h2>Last sync</h2>
${sync}
${sections}
</body>
</html>
`;
}
