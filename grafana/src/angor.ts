// Angor: projects' funding progress toward their targets, investments, lifecycle states and
// stage release (variable `project`).
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as piechart from '@grafana/grafana-foundation-sdk/piechart';
import * as table from '@grafana/grafana-foundation-sdk/table';
import {
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

const P = 'project=~"$project"';
/** Adds the project's name (from angor_project_info) to a series keyed by project. */
const named = (expr: string) => `(${expr}) * on (project) group_left (name) max by (project, name) (angor_project_info)`;

export function angorDashboard(): Json {
  const d = crowdfundDashboardBuilder(
    'Angor projects',
    DASHBOARD_UIDS.angor,
    'Angor crowdfunding projects: funding progress, investments, lifecycle and stage release.',
    ['angor', 'bitcoin'],
  )
    .refresh('5m')
    .time({ from: 'now-30d', to: 'now' })
    .withVariable(queryVariable('project', 'Project', 'label_values(angor_project_info, project)', { all: true }));

  d.withRow(new dashboard.RowBuilder('Projects'));
  d.withPanel(statPanel('Projects', UNITS.count, prom('sum(angor_projects)', 'projects')).graphMode(common.BigValueGraphMode.None));
  d.withPanel(statPanel('Raised', UNITS.sats, prom(`sum(angor_project_raised_sats{${P}})`, 'raised')));
  d.withPanel(statPanel('Target', UNITS.sats, prom(`sum(angor_project_target_sats{${P}})`, 'target')).graphMode(common.BigValueGraphMode.None));
  d.withPanel(statPanel('Investments', UNITS.count, prom(`sum(angor_project_investments{${P}})`, 'investments')));
  d.withPanel(statPanel('Spent by founders', UNITS.sats, prom(`sum(angor_project_spent_by_founder_sats{${P}})`, 'spent')));
  d.withPanel(statPanel('Penalties', UNITS.sats, prom(`sum(angor_project_penalties_sats{${P}})`, 'penalties')));

  d.withPanel(
    new bargauge.PanelBuilder()
      .title('Funding progress toward target')
      .description('Raised / target per project; 100% = target reached.')
      .datasource(DATASOURCE)
      .unit(UNITS.ratio)
      .decimals(1)
      .min(0)
      .max(1)
      .withTarget(prom(named(`project:angor_project_progress:ratio{${P}}`), '{{name}}', { instant: true }))
      .displayMode(common.BarGaugeDisplayMode.Gradient)
      .orientation(common.VizOrientation.Horizontal)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .thresholds(thresholds([null, 'orange'], [0.5, 'yellow'], [1, 'green']))
      .height(10)
      .span(16),
  );
  d.withPanel(
    new piechart.PanelBuilder()
      .title('Lifecycle states')
      .datasource(DATASOURCE)
      .unit(UNITS.count)
      .withTarget(prom('sum by (state) (angor_projects)', '{{state}}', { instant: true }))
      .pieType(piechart.PieChartType.Donut)
      .displayLabels([]) // Grafana's default, required by its published options type
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .legend(
        new piechart.PieChartLegendOptionsBuilder()
          .displayMode(common.LegendDisplayMode.Table)
          .placement(common.LegendPlacement.Right)
          .showLegend(true)
          .values([piechart.PieChartLegendValues.Value]),
      )
      .height(10)
      .span(8),
  );

  d.withPanel(
    new table.PanelBuilder()
      .frameIndex(0) // Grafana's defaults, required by its published options type
      .showHeader(true)
      .title('Projects in detail')
      .datasource(DATASOURCE)
      .unit(UNITS.sats)
      .withTarget(prom(named(`angor_project_raised_sats{${P}}`), '', { instant: true, table: true, refId: 'raised' }))
      .withTarget(prom(named(`angor_project_target_sats{${P}}`), '', { instant: true, table: true, refId: 'target' }))
      .withTarget(prom(named(`angor_project_investments{${P}}`), '', { instant: true, table: true, refId: 'investments' }))
      .withTarget(
        prom(named(`angor_project_stages_released_ratio{${P}}`), '', { instant: true, table: true, refId: 'released' }),
      )
      .withTarget(
        prom(named(`angor_project_end_timestamp_seconds{${P}} * 1000`), '', { instant: true, table: true, refId: 'end' }),
      )
      .withTransformation({ id: 'merge', options: {} })
      .withTransformation({
        id: 'organize',
        options: {
          excludeByName: { Time: true, instance: true, job: true },
          indexByName: { name: 0, project: 1, 'Value #raised': 2, 'Value #target': 3 },
          renameByName: {
            name: 'Name',
            project: 'Project',
            'Value #raised': 'Raised',
            'Value #target': 'Target',
            'Value #investments': 'Investments',
            'Value #released': 'Stages released',
            'Value #end': 'Ends',
          },
        },
      })
      .overrideByName('Investments', [{ id: 'unit', value: UNITS.count }])
      .overrideByName('Stages released', [{ id: 'unit', value: UNITS.ratio }])
      .overrideByName('Ends', [{ id: 'unit', value: 'dateTimeAsIso' }])
      .height(9)
      .span(24),
  );

  d.withRow(new dashboard.RowBuilder('Pace and projection'));
  d.withPanel(
    statPanel('Raised per day (7-day average)', UNITS.sats, prom(named(`project:angor_project_raised_sats_per_day:avg7d{${P}}`), '{{name}}'))
      .description('Sats invested per day over the last 7 days (over the history Prometheus holds, when that is shorter).')
      .decimals(0)
      .textMode(common.BigValueTextMode.ValueAndName)
      .height(6)
      .span(8),
  );
  d.withPanel(
    statPanel(
      'Projected to reach target',
      UNITS.timestampMs,
      prom(named(`project:angor_project_target_reached_timestamp_seconds:projected{${P}} * 1000`), '{{name}}'),
    )
      .description('When the target is reached if the 7-day pace holds. Empty once reached, without a target, or when nothing was invested in 7 days.')
      .textMode(common.BigValueTextMode.ValueAndName)
      .graphMode(common.BigValueGraphMode.None)
      .noValue('no projection')
      .height(6)
      .span(8),
  );
  d.withPanel(
    statPanel('Needed per day', UNITS.sats, prom(named(`project:angor_project_raised_sats_per_day:needed{${P}}`), '{{name}}'))
      .description('Sats to invest per day from now to reach the target by the end of the investment period.')
      .decimals(0)
      .textMode(common.BigValueTextMode.ValueAndName)
      .graphMode(common.BigValueGraphMode.None)
      .noValue('no deadline')
      .height(6)
      .span(8),
  );
  d.withPanel(
    timeseriesPanel(
      'Needed per day vs actual per day',
      UNITS.sats,
      prom(named(`project:angor_project_raised_sats_per_day:needed{${P}}`), '{{name}} needed'),
      prom(named(`project:angor_project_raised_sats_per_day:avg7d{${P}}`), '{{name}} actual (7-day average)'),
    )
      .description('Where a needed line runs above its actual line, the target is projected after the end.')
      .overrideByRegexp('.* needed$', [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }])
      .span(24),
  );

  d.withRow(new dashboard.RowBuilder('Over time'));
  d.withPanel(
    timeseriesPanel(
      'Raised over time',
      UNITS.sats,
      prom(named(`angor_project_raised_sats{${P}}`), '{{name}}'),
      prom(named(`angor_project_target_sats{${P}} > 0`), '{{name}} target'),
    )
      // Each project's target drawn as a dashed threshold-style line (the projects differ, so no
      // single panel threshold can show them).
      .overrideByRegexp('.* target$', [
        { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
        { id: 'custom.fillOpacity', value: 0 },
      ]),
  );
  d.withPanel(timeseriesPanel('Investments over time', UNITS.count, prom(named(`angor_project_investments{${P}}`), '{{name}}')));
  d.withPanel(
    new bargauge.PanelBuilder()
      .title('Stages released')
      .description('Share of the project\'s stages whose release date has passed.')
      .datasource(DATASOURCE)
      .unit(UNITS.ratio)
      .min(0)
      .max(1)
      .withTarget(prom(named(`angor_project_stages_released_ratio{${P}}`), '{{name}}', { instant: true }))
      .displayMode(common.BarGaugeDisplayMode.Basic)
      .orientation(common.VizOrientation.Horizontal)
      .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .thresholds(thresholds([null, 'blue']))
      .height(8)
      .span(12),
  );
  d.withPanel(
    statPanel('Angor sync', UNITS.duration, prom('time() - (crowdfund_sync_last_success_timestamp_seconds{source="angor"} > 0)', 'since last success'))
      .description('Time since the last successful Angor sync.')
      .thresholds(thresholds([null, 'green'], [900, 'red']))
      .colorMode(common.BigValueColorMode.Background)
      .graphMode(common.BigValueGraphMode.None)
      .noValue('never')
      .height(8)
      .span(12),
  );
  return finish(d);
}
