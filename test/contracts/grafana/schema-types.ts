// The types Grafana publishes for a dashboard (@grafana/schema, the version of the Grafana image in
// docker-compose.yml) and for the panel plugins and the Prometheus query the dashboards use (the
// foundation SDK's prometheus types: @grafana/schema ships no Prometheus query type).
// ts-json-schema-generator turns these into a JSON schema (grafana-schema.ts); nothing here is
// hand-written beyond naming which published type checks which part of a dashboard.
import type { Dashboard, Panel, RowPanel, VariableModel } from '@grafana/schema/dist/esm/raw/dashboard/x/dashboard_types.gen.js';
import type * as bargauge from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen.js';
import type * as gauge from '@grafana/schema/dist/esm/raw/composable/gauge/panelcfg/x/GaugePanelCfg_types.gen.js';
import type * as piechart from '@grafana/schema/dist/esm/raw/composable/piechart/panelcfg/x/PieChartPanelCfg_types.gen.js';
import type * as stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen.js';
import type * as table from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen.js';
import type * as text from '@grafana/schema/dist/esm/raw/composable/text/panelcfg/x/TextPanelCfg_types.gen.js';
import type * as timeseries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen.js';
import type { dataquery as PrometheusDataquery } from '@grafana/grafana-foundation-sdk/prometheus';

export type GrafanaDashboard = Dashboard;
export type GrafanaPanel = Panel;
export type GrafanaRowPanel = RowPanel;
export type GrafanaVariable = VariableModel;
export type PrometheusQuery = PrometheusDataquery;

export type BarGaugeOptions = bargauge.Options;
export type GaugeOptions = gauge.Options;
export type PieChartOptions = piechart.Options;
export type PieChartFieldConfig = piechart.FieldConfig;
export type StatOptions = stat.Options;
export type TableOptions = table.Options;
export type TableFieldConfig = table.FieldConfig;
export type TextOptions = text.Options;
export type TimeSeriesOptions = timeseries.Options;
export type TimeSeriesFieldConfig = timeseries.FieldConfig;
