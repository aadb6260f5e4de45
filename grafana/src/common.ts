// Shared pieces of the dashboards: the provisioned datasource, units, query and panel helpers,
// and the final pass that numbers panels. Dashboards are built with Grafana's foundation SDK.
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** uid of the Prometheus datasource in grafana/provisioning/datasources/. */
export const DATASOURCE_UID = 'crowdfund-prometheus';
export const DATASOURCE: dashboard.DataSourceRef = { type: 'prometheus', uid: DATASOURCE_UID };

/** Folder the dashboards and Grafana alert rules live in. */
export const FOLDER = 'Crowdfund';

export const DASHBOARD_UIDS = {
  overview: 'crowdfund-overview',
  crowdfund: 'crowdfund-apps',
  angor: 'crowdfund-angor',
} as const;

export const UNITS = {
  sats: 'suffix: sats',
  btc: 'currencyBTC',
  /** A fiat or crypto amount in the currency named by a label (no Grafana unit per label). */
  amount: 'short',
  ratio: 'percentunit',
  seconds: 's',
  duration: 'dtdurations',
  /** Unix time in milliseconds (multiply the exporter's seconds by 1000). */
  timestampMs: 'dateTimeFromNow',
  count: 'none',
  perSecond: 'reqps',
} as const;

export interface QueryOptions {
  instant?: boolean;
  table?: boolean;
  refId?: string;
}

export function prom(expr: string, legend = '__auto', opts: QueryOptions = {}): prometheus.DataqueryBuilder {
  const q = new prometheus.DataqueryBuilder().expr(expr).legendFormat(legend).datasource(DATASOURCE);
  if (opts.instant) q.instant();
  else q.range();
  if (opts.table) q.format(prometheus.PromQueryFormat.Table);
  if (opts.refId) q.refId(opts.refId);
  return q;
}

export function thresholds(...steps: Array<[number | null, string]>): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

export function statPanel(title: string, unit: string, ...queries: prometheus.DataqueryBuilder[]): stat.PanelBuilder {
  const p = new stat.PanelBuilder()
    .title(title)
    .unit(unit)
    .datasource(DATASOURCE)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(thresholds([null, 'green']))
    .height(4)
    .span(4);
  for (const q of queries) p.withTarget(q);
  return p;
}

/**
 * The last 7 days against the 7 days before, from a `*:increase7d_change_ratio` rule (0.25 = +25 %):
 * green when up, red when down; nothing until Prometheus holds 14 days.
 */
export function changePanel(title: string, query: prometheus.DataqueryBuilder): stat.PanelBuilder {
  return statPanel(title, UNITS.ratio, query)
    .description(
      'Change of the last 7 days against the 7 days before. Needs 14 days of history in Prometheus; empty when the 7 days before had nothing.',
    )
    .decimals(0)
    .thresholds(thresholds([null, 'red'], [0, 'green']))
    .graphMode(common.BigValueGraphMode.None)
    .textMode(common.BigValueTextMode.ValueAndName)
    .noValue('needs 14 days of history')
    .span(6);
}

export function timeseriesPanel(title: string, unit: string, ...queries: prometheus.DataqueryBuilder[]): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(title)
    .unit(unit)
    .datasource(DATASOURCE)
    .lineWidth(2)
    .fillOpacity(10)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true))
    .height(8)
    .span(12);
  for (const q of queries) p.withTarget(q);
  return p;
}

export function queryVariable(name: string, label: string, query: string, opts: { all?: boolean } = {}): dashboard.QueryVariableBuilder {
  const v = new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
  if (opts.all) v.multi(true).includeAll(true).allValue('.*');
  return v;
}

/**
 * A dashboard with what every crowdfund dashboard shares: tags, refresh, time zone, the built-in
 * annotations (so alert state changes show on the panels) and links to the sibling dashboards.
 */
export function crowdfundDashboardBuilder(title: string, uid: string, description: string, tags: string[]): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['crowdfund', ...tags])
    .editable()
    .timezone('browser')
    .annotation(
      new dashboard.AnnotationQueryBuilder()
        .name('Annotations & Alerts')
        .builtIn(1)
        .datasource({ type: 'grafana', uid: '-- Grafana --' })
        .enable(true)
        .hide(true)
        .iconColor('rgba(0, 211, 255, 1)')
        .type('dashboard'),
    )
    .link(
      new dashboard.DashboardLinkBuilder('Crowdfund dashboards')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(['crowdfund'])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface PanelJson {
  id?: number;
  type: string;
  targets?: Array<{ refId?: string; datasource?: unknown }>;
  panels?: PanelJson[];
}

/**
 * Final pass over a built dashboard: numbers every panel (rows included) from 1 in order, gives
 * queries stable refIds (A, B, ...), and drops undefined values so the JSON is stable.
 */
export function finish(builder: dashboard.DashboardBuilder): Json {
  const built = JSON.parse(JSON.stringify(builder.build())) as { panels?: PanelJson[] } & Record<string, Json>;
  let id = 0;
  const visit = (panels: PanelJson[] | undefined) => {
    for (const p of panels ?? []) {
      p.id = ++id;
      (p.targets ?? []).forEach((t, i) => {
        if (!t.refId) t.refId = String.fromCharCode(65 + i);
      });
      visit(p.panels);
    }
  };
  visit(built.panels);
  return built as unknown as Json;
}

/** The panel id finish() gives the n-th panel (1-based, rows counted) — for alert links. */
export function panelIdOf(dash: Json, title: string): number {
  const panels = (dash as { panels: Array<{ id: number; title?: string }> }).panels;
  const p = panels.find((x) => x.title === title);
  if (!p) throw new Error(`no panel titled "${title}"`);
  return p.id;
}

export type { Json };
