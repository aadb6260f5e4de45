// Overview: what a BTCPay fundraiser raised, how invoices end, and whether webhooks and syncs
// are healthy. One dashboard for every store (variable `store`).
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as piechart from '@grafana/grafana-foundation-sdk/piechart';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import {
  changePanel,
  crowdfundDashboardBuilder,
  DASHBOARD_UIDS,
  DATASOURCE,
  finish,
  prom,
  queryVariable,
  statPanel,
  thresholds,
  timeseriesPanel,
  UNITS,
  type Json,
} from './common.js';

const S = 'store=~"$store"';

const okFailingMappings: dashboard.ValueMapping[] = [
  {
    type: dashboard.MappingType.ValueToText,
    options: {
      '0': { text: 'failing', color: 'red', index: 0 },
      '1': { text: 'ok', color: 'green', index: 1 },
    },
  },
];

export function overviewDashboard(): Json {
  const d = crowdfundDashboardBuilder(
    'Crowdfund overview',
    DASHBOARD_UIDS.overview,
    'BTCPay Server fundraising: raised amounts, invoices, webhook and sync health.',
    ['btcpay', 'bitcoin'],
  )
    .refresh('1m')
    .time({ from: 'now-7d', to: 'now' })
    .withVariable(queryVariable('store', 'Store', 'label_values(btcpay_invoices, store)', { all: true }));

  d.withRow(new dashboard.RowBuilder('Raised'));
  d.withPanel(
    statPanel('Raised', UNITS.sats, prom(`sum(btcpay_raised_sats{${S}})`, 'raised')).description(
      'Sats received by invoices that count as raised (Settled, and Expired with PaidLate).',
    ),
  );
  d.withPanel(
    statPanel('Raised (BTC)', UNITS.btc, prom(`sum(btcpay_raised_sats{${S}}) / 1e8`, 'raised')).decimals(8),
  );
  d.withPanel(
    statPanel('Raised in the last 24 h', UNITS.sats, prom(`sum(store:btcpay_raised_sats:increase1d{${S}})`, 'last 24 h')),
  );
  d.withPanel(statPanel('Invoices', UNITS.count, prom(`sum(btcpay_invoices{${S}})`, 'invoices')));
  d.withPanel(
    statPanel(
      'Average contribution',
      UNITS.sats,
      prom(`sum(btcpay_raised_sats{${S}}) / (sum(btcpay_contributions{${S}}) > 0)`, 'average'),
    ).decimals(0),
  );
  d.withPanel(
    statPanel(
      'Settled share',
      UNITS.ratio,
      prom(`sum(btcpay_invoices{${S}, status="Settled"}) / (sum(btcpay_invoices{${S}}) > 0)`, 'settled'),
    )
      .decimals(1)
      .min(0)
      .max(1),
  );

  // The history panels read the raw gauge, with last_over_time: a backfilled history
  // (docs/history.md) has one sample an hour, which an instant selector (5 min look-back) would
  // miss between samples, and recording rules have no past.
  const raised = (range: string, offset = '') => `last_over_time(btcpay_raised_sats{${S}}[${range}]${offset})`;
  d.withPanel(
    timeseriesPanel('Raised over time', UNITS.sats, prom(`sum by (store) (${raised('1h')})`, '{{store}}')),
  );
  d.withPanel(
    timeseriesPanel(
      'Raised per day (rolling 24 h)',
      UNITS.sats,
      // store:btcpay_raised_sats:increase1d, from the raw gauge.
      prom(`sum by (store) (${raised('1h')} - (${raised('1h', ' offset 1d')} or min_over_time(btcpay_raised_sats{${S}}[1d])))`, '{{store}}'),
    )
      .drawStyle(common.GraphDrawStyle.Bars)
      .fillOpacity(60)
      .interval('1h'),
  );
  d.withPanel(
    new stat.PanelBuilder()
      .title('Raised by invoice currency')
      .description('Exact sum of the raised invoices\' prices, in each invoice currency.')
      .unit(UNITS.amount)
      .decimals(2)
      .datasource(DATASOURCE)
      .withTarget(prom(`sum by (currency) (btcpay_raised_amount{${S}})`, '{{currency}}'))
      .textMode(common.BigValueTextMode.ValueAndName)
      .graphMode(common.BigValueGraphMode.None)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .height(4)
      .span(24),
  );

  d.withRow(new dashboard.RowBuilder('Pace: the last 7 days'));
  d.withPanel(
    statPanel('Raised per day (7-day average)', UNITS.sats, prom(`sum(store:btcpay_raised_sats_per_day:avg7d{${S}})`, 'per day'))
      .description('Sats raised per day over the last 7 days (over the history Prometheus holds, when that is shorter).')
      .decimals(0)
      .span(5),
  );
  d.withPanel(
    statPanel('Raised in the last 7 days', UNITS.sats, prom(`sum(store:btcpay_raised_sats:increase7d{${S}})`, 'last 7 days')).span(5),
  );
  d.withPanel(
    changePanel('Raised vs the 7 days before', prom(`store:btcpay_raised_sats:increase7d_change_ratio{${S}}`, '{{store}}')).span(4),
  );
  d.withPanel(
    statPanel('Contributions in the last 7 days', UNITS.count, prom(`sum(store:btcpay_contributions:increase7d{${S}})`, 'last 7 days')).span(5),
  );
  d.withPanel(
    changePanel('Contributions vs the 7 days before', prom(`store:btcpay_contributions:increase7d_change_ratio{${S}}`, '{{store}}')).span(5),
  );

  d.withRow(new dashboard.RowBuilder('Payment mix'));
  d.withPanel(
    new piechart.PanelBuilder()
      .title('Raised by payment method')
      .description('Raised sats by BTCPay payment method: BTC-CHAIN on-chain, BTC-LN Lightning (BOLT11), BTC-LNURL LNURL-pay.')
      .unit(UNITS.sats)
      .datasource(DATASOURCE)
      .withTarget(prom(`sum by (payment_method) (btcpay_payment_method_raised_sats{${S}})`, '{{payment_method}}', { instant: true }))
      .pieType(piechart.PieChartType.Pie)
      .displayLabels([]) // Grafana's default, required by its published options type
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .legend(
        new piechart.PieChartLegendOptionsBuilder()
          .displayMode(common.LegendDisplayMode.Table)
          .placement(common.LegendPlacement.Right)
          .showLegend(true)
          .values([piechart.PieChartLegendValues.Value, piechart.PieChartLegendValues.Percent]),
      )
      .height(8)
      .span(8),
  );
  d.withPanel(
    timeseriesPanel('Lightning share of raised', UNITS.ratio, prom(`store:btcpay_raised_sats:lightning_ratio{${S}}`, '{{store}}'))
      .description('Share of the raised sats that arrived over Lightning (BOLT11 and LNURL-pay).')
      .min(0)
      .max(1)
      .span(8),
  );
  d.withPanel(
    statPanel(
      "Raised at today's rate",
      UNITS.amount,
      prom(
        `label_replace(btcpay_raised_sats{${S}} / 1e8 * on (instance, job, store) group_right btcpay_store_rate{${S}, currency_pair=~"BTC_.+"}, "currency", "$1", "currency_pair", "BTC_(.+)")`,
        "{{currency}} at today's rate",
      ),
    )
      .description(
        "The raised sats valued at the store's current BTC rate: what they are worth today, not what they were worth when they arrived (that is \"Raised by invoice currency\").",
      )
      .decimals(2)
      .textMode(common.BigValueTextMode.ValueAndName)
      .graphMode(common.BigValueGraphMode.None)
      .noValue('no store rate (the API key needs btcpay.store.canviewstoresettings)')
      .height(8)
      .span(8),
  );

  d.withRow(new dashboard.RowBuilder('Invoices'));
  d.withPanel(
    timeseriesPanel('Invoices per status', UNITS.count, prom(`sum by (status) (btcpay_invoices{${S}})`, '{{status}}'))
      .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
      .span(16),
  );
  d.withPanel(
    new piechart.PanelBuilder()
      .title('Status distribution')
      .unit(UNITS.count)
      .datasource(DATASOURCE)
      .withTarget(prom(`sum by (status) (btcpay_invoices{${S}})`, '{{status}}', { instant: true }))
      .pieType(piechart.PieChartType.Donut)
      .displayLabels([]) // Grafana's default, required by its published options type
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .legend(
        new piechart.PieChartLegendOptionsBuilder()
          .displayMode(common.LegendDisplayMode.Table)
          .placement(common.LegendPlacement.Right)
          .showLegend(true)
          .values([piechart.PieChartLegendValues.Value, piechart.PieChartLegendValues.Percent]),
      )
      .height(8)
      .span(8),
  );

  d.withRow(new dashboard.RowBuilder('Webhooks'));
  d.withPanel(
    statPanel(
      'Since last verified webhook',
      UNITS.duration,
      prom(`time() - max by (store) (btcpay_webhook_last_verified_timestamp_seconds{${S}} > 0)`, '{{store}}'),
    )
      .description('Time since BTCPay last delivered a webhook with a valid signature.')
      .thresholds(thresholds([null, 'green'], [3600, 'yellow'], [86400, 'red']))
      .colorMode(common.BigValueColorMode.Background)
      .graphMode(common.BigValueGraphMode.None)
      .noValue('never')
      .span(6),
  );
  d.withPanel(
    statPanel('Missed webhooks', UNITS.count, prom(`sum(btcpay_webhook_missed_total{${S}})`, 'missed'))
      .description('Invoice status changes the sync found that no verified webhook reported.')
      .thresholds(thresholds([null, 'green'], [1, 'orange']))
      .span(6),
  );
  d.withPanel(
    statPanel('Failed deliveries (BTCPay)', UNITS.count, prom(`sum(btcpay_webhook_delivery_failures{${S}})`, 'failed'))
      .description("Failed deliveries in the store webhook's delivery list on BTCPay.")
      .thresholds(thresholds([null, 'green'], [1, 'red']))
      .span(6),
  );
  d.withPanel(
    statPanel(
      'Verification failure rate',
      UNITS.ratio,
      prom(
        `sum(rate(btcpay_webhook_verification_failures_total{store=~"$store|unknown"}[$__rate_interval])) / (sum(rate(btcpay_webhook_requests_total{store=~"$store|unknown"}[$__rate_interval])) > 0)`,
        'failures',
      ),
    )
      .thresholds(thresholds([null, 'green'], [0.01, 'orange'], [0.1, 'red']))
      .noValue('no requests')
      .span(6),
  );
  d.withPanel(
    timeseriesPanel(
      'Webhook requests by event',
      UNITS.perSecond,
      prom(`sum by (event) (rate(btcpay_webhook_requests_total{store=~"$store|unknown"}[$__rate_interval]))`, '{{event}}'),
      prom(`sum(rate(btcpay_webhook_duplicates_total{${S}}[$__rate_interval]))`, 'duplicates'),
    ),
  );
  d.withPanel(
    timeseriesPanel(
      'Webhook verification failures by reason',
      UNITS.perSecond,
      prom(
        `sum by (reason) (rate(btcpay_webhook_verification_failures_total{store=~"$store|unknown"}[$__rate_interval]))`,
        '{{reason}}',
      ),
    ),
  );

  d.withRow(new dashboard.RowBuilder('Sync and exporter'));
  d.withPanel(
    statPanel('Sync status', UNITS.count, prom('crowdfund_sync_up', '{{source}}'))
      .mappings(okFailingMappings)
      .thresholds(thresholds([null, 'red'], [1, 'green']))
      .colorMode(common.BigValueColorMode.Background)
      .graphMode(common.BigValueGraphMode.None)
      .textMode(common.BigValueTextMode.ValueAndName)
      .span(8),
  );
  d.withPanel(
    statPanel(
      'Since last successful sync',
      UNITS.duration,
      prom('time() - (crowdfund_sync_last_success_timestamp_seconds > 0)', '{{source}}'),
    )
      .thresholds(thresholds([null, 'green'], [900, 'red']))
      .colorMode(common.BigValueColorMode.Background)
      .graphMode(common.BigValueGraphMode.None)
      .textMode(common.BigValueTextMode.ValueAndName)
      .noValue('never')
      .span(8),
  );
  d.withPanel(
    statPanel('Exporter', UNITS.count, prom('up{job="crowdfund-exporter"}', '{{instance}}'))
      .mappings([
        {
          type: dashboard.MappingType.ValueToText,
          options: { '0': { text: 'down', color: 'red', index: 0 }, '1': { text: 'up', color: 'green', index: 1 } },
        },
      ])
      .thresholds(thresholds([null, 'red'], [1, 'green']))
      .colorMode(common.BigValueColorMode.Background)
      .graphMode(common.BigValueGraphMode.None)
      .span(8),
  );
  d.withPanel(timeseriesPanel('Sync duration', UNITS.seconds, prom('crowdfund_sync_duration_seconds', '{{source}}')));
  d.withPanel(
    timeseriesPanel(
      'Sync errors',
      UNITS.count,
      prom('sum by (source) (increase(crowdfund_sync_errors_total[$__rate_interval]))', '{{source}}'),
    )
      .description('Failed sync runs; crowdfund_sync_errors_total has the reason label.')
      .drawStyle(common.GraphDrawStyle.Bars)
      .fillOpacity(60),
  );
  return finish(d);
}
