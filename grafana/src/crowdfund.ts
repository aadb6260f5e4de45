// Crowdfund: one BTCPay Crowdfund app at a time (variables `store` and `app`): progress toward the
// goal as BTCPay's own page shows it, raised over time against the target, contributors, perks and
// time left. The "Goal reached" panel carries Grafana's info-level goal-reached alert.
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
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

const A = 'app=~"$app"';
/** Adds the app's currency (from the info metric) to a series keyed by app, for the legend. */
const withCurrency = (expr: string) => `(${expr}) * on (app) group_left (currency) max by (app, currency) (btcpay_crowdfund_info)`;

export const GOAL_REACHED_PANEL = 'Goal reached';
export const PROJECTED_PANEL = 'Projected to reach goal';
export const NEEDED_VS_ACTUAL_PANEL = 'Needed per day vs actual per day';
/** Legend of the target query that configFromData turns into the goal threshold line. */
const GOAL_FIELD = 'Goal';

export function crowdfundDashboard(): Json {
  const d = crowdfundDashboardBuilder(
    'Crowdfund apps',
    DASHBOARD_UIDS.crowdfund,
    'BTCPay Crowdfund apps: goal progress, contributors, perks and time left.',
    ['btcpay', 'bitcoin'],
  )
    .refresh('1m')
    .time({ from: 'now-7d', to: 'now' })
    .withVariable(queryVariable('store', 'Store', 'label_values(btcpay_crowdfund_info, store)', { all: true }))
    .withVariable(queryVariable('app', 'Crowdfund', 'label_values(btcpay_crowdfund_info{store=~"$store"}, app)'));

  d.withPanel(
    new table.PanelBuilder()
      .frameIndex(0) // Grafana's defaults, required by its published options type
      .showHeader(true)
      .title('Crowdfund apps')
      .description('Every Crowdfund app of the selected stores.')
      .datasource(DATASOURCE)
      .unit(UNITS.count)
      .withTarget(prom('btcpay_crowdfund_info{store=~"$store"}', '', { instant: true, table: true }))
      .withTransformation({
        id: 'organize',
        options: {
          excludeByName: { Time: true, Value: true, __name__: true, instance: true, job: true },
          indexByName: { title: 0, app: 1, store: 2, currency: 3 },
          renameByName: { title: 'Title', app: 'App id', store: 'Store', currency: 'Currency' },
        },
      })
      .height(5)
      .span(24),
  );

  d.withRow(new dashboard.RowBuilder('Goal'));
  d.withPanel(
    new bargauge.PanelBuilder()
      .title('Progress toward the goal')
      .description('Settled, and settled + pending ("of goal" on the crowdfund page), as shares of the target.')
      .datasource(DATASOURCE)
      .unit(UNITS.ratio)
      .decimals(1)
      .min(0)
      .max(1)
      .withTarget(prom(`app:btcpay_crowdfund_progress:ratio{${A}}`, 'settled'))
      .withTarget(prom(`app:btcpay_crowdfund_progress_with_pending:ratio{${A}}`, 'settled + pending'))
      .displayMode(common.BarGaugeDisplayMode.Gradient)
      .orientation(common.VizOrientation.Horizontal)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .thresholds(thresholds([null, 'orange'], [0.5, 'yellow'], [1, 'green']))
      .height(6)
      .span(12),
  );
  d.withPanel(
    statPanel(GOAL_REACHED_PANEL, UNITS.count, prom(`app:btcpay_crowdfund_progress:ratio{${A}} >= bool 1`, 'goal'))
      .description('Settled amount at or above the target. An info-level Grafana alert fires when a goal is reached.')
      .mappings([
        {
          type: dashboard.MappingType.ValueToText,
          options: {
            '0': { text: 'not yet', color: 'text', index: 0 },
            '1': { text: 'reached', color: 'green', index: 1 },
          },
        },
      ])
      .colorMode(common.BigValueColorMode.Background)
      .graphMode(common.BigValueGraphMode.None)
      .height(6)
      .span(6)
      .noValue('no target'),
  );
  d.withPanel(
    statPanel(
      'Time left',
      UNITS.duration,
      prom(`max(btcpay_crowdfund_end_timestamp_seconds{${A}} > 0) - time()`, 'time left'),
    )
      .thresholds(thresholds([null, 'red'], [86400, 'orange'], [7 * 86400, 'green']))
      .graphMode(common.BigValueGraphMode.None)
      .height(6)
      .span(6)
      .noValue('no end date'),
  );

  d.withPanel(
    statPanel(
      'Raised (settled)',
      UNITS.amount,
      prom(withCurrency(`sum by (app) (btcpay_crowdfund_raised_amount{${A}, state="settled"})`), '{{currency}}'),
    )
      .decimals(2)
      .textMode(common.BigValueTextMode.ValueAndName),
  );
  d.withPanel(
    statPanel(
      'Pending',
      UNITS.amount,
      prom(withCurrency(`sum by (app) (btcpay_crowdfund_raised_amount{${A}, state="pending"})`), '{{currency}}'),
    )
      .decimals(2)
      .textMode(common.BigValueTextMode.ValueAndName),
  );
  d.withPanel(
    statPanel('Target', UNITS.amount, prom(withCurrency(`max by (app) (btcpay_crowdfund_target_amount{${A}})`), '{{currency}}'))
      .decimals(2)
      .textMode(common.BigValueTextMode.ValueAndName)
      .graphMode(common.BigValueGraphMode.None),
  );
  d.withPanel(statPanel('Raised (sats)', UNITS.sats, prom(`sum(btcpay_crowdfund_raised_sats{${A}})`, 'raised')));
  d.withPanel(statPanel('Contributors', UNITS.count, prom(`sum(btcpay_crowdfund_contributors{${A}})`, 'contributors')));
  d.withPanel(
    statPanel(
      'Goal window started',
      UNITS.timestampMs,
      prom(`max(btcpay_crowdfund_window_start_timestamp_seconds{${A}}) * 1000`, 'window start'),
    )
      .description('Start of the current goal period: the start date, or the last reset for goals that reset.')
      .graphMode(common.BigValueGraphMode.None),
  );

  d.withRow(new dashboard.RowBuilder('Pace and projection'));
  d.withPanel(
    statPanel(
      'Raised per day (7-day average)',
      UNITS.amount,
      prom(withCurrency(`app:btcpay_crowdfund_raised_amount_per_day:avg7d{${A}}`), '{{currency}}'),
    )
      .description(
        'Settled amount raised per day over the last 7 days (since the start, or the last reset, when that is more recent).',
      )
      .decimals(2)
      .textMode(common.BigValueTextMode.ValueAndName)
      .span(6),
  );
  d.withPanel(
    statPanel(PROJECTED_PANEL, UNITS.timestampMs, prom(`app:btcpay_crowdfund_goal_reached_timestamp_seconds:projected{${A}} * 1000`, 'projected'))
      .description('When the settled amount reaches the target if the 7-day pace holds. Empty once the goal is reached, without a target, or when nothing was raised in 7 days.')
      .graphMode(common.BigValueGraphMode.None)
      .noValue('no projection')
      .span(6),
  );
  d.withPanel(
    statPanel(
      'On pace for the end date?',
      UNITS.count,
      prom(
        `app:btcpay_crowdfund_raised_amount_per_day:needed{${A}} > bool on (instance, job, app) app:btcpay_crowdfund_raised_amount_per_day:avg7d{${A}}`,
        'pace',
      ),
    )
      .description(
        'Behind: the needed pace is above the 7-day pace, so the goal is projected after the end date (the CrowdfundGoalAtRisk alert fires after 6 h of this).',
      )
      .mappings([
        {
          type: dashboard.MappingType.ValueToText,
          options: {
            '0': { text: 'on pace', color: 'green', index: 0 },
            '1': { text: 'behind', color: 'red', index: 1 },
          },
        },
      ])
      .colorMode(common.BigValueColorMode.Background)
      .graphMode(common.BigValueGraphMode.None)
      .noValue('no deadline')
      .span(6),
  );
  d.withPanel(
    statPanel('Needed per day', UNITS.amount, prom(withCurrency(`app:btcpay_crowdfund_raised_amount_per_day:needed{${A}}`), '{{currency}}'))
      .description('What must be raised per day from now to reach the target by the end date. Absent without an end date, after the end, and for goals that reset.')
      .decimals(2)
      .textMode(common.BigValueTextMode.ValueAndName)
      .noValue('no deadline')
      .span(6),
  );
  d.withPanel(
    timeseriesPanel(
      NEEDED_VS_ACTUAL_PANEL,
      UNITS.amount,
      prom(withCurrency(`app:btcpay_crowdfund_raised_amount_per_day:needed{${A}}`), 'needed per day ({{currency}})'),
      prom(withCurrency(`app:btcpay_crowdfund_raised_amount_per_day:avg7d{${A}}`), 'actual per day, 7-day average ({{currency}})'),
    )
      .description('Above the actual line, the needed line means the goal is projected after the end date.')
      .overrideByRegexp('^needed.*', [
        { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
        { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
      ])
      .span(24),
  );

  d.withRow(new dashboard.RowBuilder('Last 7 days against the 7 days before'));
  d.withPanel(
    statPanel(
      'Raised in the last 7 days',
      UNITS.amount,
      prom(withCurrency(`app:btcpay_crowdfund_raised_amount:increase7d{${A}}`), '{{currency}}'),
    )
      .decimals(2)
      .textMode(common.BigValueTextMode.ValueAndName)
      .span(6),
  );
  d.withPanel(
    changePanel('Raised vs the 7 days before', prom(`app:btcpay_crowdfund_raised_amount:increase7d_change_ratio{${A}}`, 'raised')),
  );
  d.withPanel(
    statPanel('Contributors in the last 7 days', UNITS.count, prom(`sum(app:btcpay_crowdfund_contributors:increase7d{${A}})`, 'contributors')).span(6),
  );
  d.withPanel(
    changePanel('Contributors vs the 7 days before', prom(`app:btcpay_crowdfund_contributors:increase7d_change_ratio{${A}}`, 'contributors')),
  );

  d.withRow(new dashboard.RowBuilder('Over time'));
  d.withPanel(
    timeseriesPanel(
      'Raised against the target',
      UNITS.amount,
      prom(withCurrency(`sum by (app) (btcpay_crowdfund_raised_amount{${A}, state="settled"})`), 'settled ({{currency}})'),
      prom(withCurrency(`sum by (app) (btcpay_crowdfund_raised_amount{${A}})`), 'settled + pending ({{currency}})'),
      prom(`max by (app) (btcpay_crowdfund_target_amount{${A}})`, GOAL_FIELD),
    )
      .description('The goal (the target, now) is the dashed threshold line.')
      // The target query becomes the goal threshold line instead of a series of its own.
      .withTransformation({
        id: 'configFromData',
        options: { configRefId: 'C', mappings: [{ fieldName: GOAL_FIELD, handlerKey: 'threshold1', reducerId: 'lastNotNull' }] },
      })
      .thresholds(thresholds([null, 'transparent'], [0, 'green']))
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed))
      .span(16),
  );
  d.withPanel(
    // last_over_time: a backfilled history (docs/history.md) has one sample an hour.
    timeseriesPanel('Contributors', UNITS.count, prom(`sum(last_over_time(btcpay_crowdfund_contributors{${A}}[1h]))`, 'contributors')).span(8),
  );
  d.withPanel(
    new bargauge.PanelBuilder()
      .title('Perk popularity')
      .description(
        'Contributions per perk (item code), most popular first. BTCPay does not tell which share of the funds each perk brought, so this counts contributions, not money.',
      )
      .datasource(DATASOURCE)
      .unit(UNITS.count)
      .withTarget(prom(`sort_desc(sum by (perk) (btcpay_crowdfund_perk_contributions{${A}}))`, '{{perk}}', { instant: true }))
      .displayMode(common.BarGaugeDisplayMode.Basic)
      .orientation(common.VizOrientation.Horizontal)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .thresholds(thresholds([null, 'blue']))
      .height(8)
      .span(12),
  );
  d.withPanel(
    timeseriesPanel('Raised (sats) over time', UNITS.sats, prom(`sum(last_over_time(btcpay_crowdfund_raised_sats{${A}}[1h]))`, 'raised')).span(12),
  );
  return finish(d);
}
