// Grafana's published dashboard model as a strict JSON schema: the types of schema-types.ts
// (@grafana/schema for the dashboard and panel plugins, the foundation SDK for the Prometheus
// query) turned into JSON schemas by ts-json-schema-generator, with `additionalProperties: false`
// on every object, and compiled with ajv. A dashboard is checked in three layers: the dashboard
// model, then each panel's options and custom field config against its plugin's types, then each
// query against the Prometheus query type.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { ROOT } from '../../stack/tools.js';

/** Panel types the dashboards use, with the exported names of their published types. */
export const PANEL_TYPES: Record<string, { options: string; fieldConfig?: string }> = {
  bargauge: { options: 'BarGaugeOptions' },
  gauge: { options: 'GaugeOptions' },
  piechart: { options: 'PieChartOptions', fieldConfig: 'PieChartFieldConfig' },
  stat: { options: 'StatOptions' },
  table: { options: 'TableOptions', fieldConfig: 'TableFieldConfig' },
  text: { options: 'TextOptions' },
  timeseries: { options: 'TimeSeriesOptions', fieldConfig: 'TimeSeriesFieldConfig' },
};

/**
 * Properties the generated dashboards carry that the published schema does not know, with the
 * reason. Each is removed before validation; a test checks every entry is still needed.
 */
export const ALLOWED_UNKNOWN: Array<{ where: 'variable'; keys: string[]; reason: string }> = [
  {
    where: 'variable',
    keys: ['auto', 'auto_min', 'auto_count'],
    reason:
      "The foundation SDK writes the interval variable's auto settings on every variable it builds, query variables included; Grafana 11.6's VariableModel does not list them (its dashboard migration reads them on interval variables only) and ignores them elsewhere.",
  },
];

export interface SchemaFinding {
  where: string;
  message: string;
}

type Json = Record<string, unknown>;

const describe = (errors: ErrorObject[] | null | undefined): string[] =>
  (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.keyword === 'additionalProperties' ? `: ${String((e.params as { additionalProperty: string }).additionalProperty)}` : ''}`);

export class GrafanaSchema {
  private constructor(private readonly validators: Map<string, ValidateFunction>) {}

  /** Generates and compiles the schemas (a few seconds: it reads the published .d.ts files). */
  static create(): GrafanaSchema {
    const generator = createGenerator({
      path: `${ROOT}/test/contracts/grafana/schema-types.ts`,
      tsconfig: `${ROOT}/tsconfig.json`,
      skipTypeCheck: true,
      additionalProperties: false,
      expose: 'export',
      topRef: true,
      jsDoc: 'none',
    });
    // One schema per root type: the panel plugins all name their types Options/FieldConfig, which
    // would collide in one shared definitions table.
    const roots = ['GrafanaDashboard', 'PrometheusQuery', ...Object.values(PANEL_TYPES).flatMap((p) => [p.options, ...(p.fieldConfig ? [p.fieldConfig] : [])])];
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    const validators = new Map<string, ValidateFunction>();
    for (const root of roots) validators.set(root, ajv.compile({ ...generator.createSchema(root), $id: root }));
    return new GrafanaSchema(validators);
  }

  /** The JSON schema of one root type, for tests that look inside it. */
  validator(root: string): ValidateFunction {
    const v = this.validators.get(root);
    if (!v) throw new Error(`no schema for ${root}`);
    return v;
  }

  /** Every way `dashboard` departs from Grafana's published model (empty when none). */
  check(dashboard: unknown, opts: { allowList?: boolean } = {}): SchemaFinding[] {
    const d = structuredClone(dashboard) as Json;
    if (opts.allowList !== false) {
      for (const v of ((d.templating as Json | undefined)?.list as Json[] | undefined) ?? []) {
        for (const a of ALLOWED_UNKNOWN) if (a.where === 'variable') for (const k of a.keys) delete v[k];
      }
    }
    const out: SchemaFinding[] = [];
    const run = (root: string, value: unknown, where: string) => {
      const v = this.validator(root);
      if (!v(value)) for (const message of describe(v.errors)) out.push({ where, message });
    };
    run('GrafanaDashboard', d, 'dashboard');
    const panels = ((d.panels as Json[] | undefined) ?? []).flatMap((p) => [p, ...(((p.panels as Json[] | undefined) ?? []))]);
    for (const p of panels) {
      const where = `panel ${String(p.id)} "${String(p.title)}" (${String(p.type)})`;
      if (p.type === 'row') continue;
      const types = PANEL_TYPES[String(p.type)];
      if (!types) {
        out.push({ where, message: `panel type ${String(p.type)} has no published options type here (add it to PANEL_TYPES)` });
        continue;
      }
      run(types.options, p.options ?? {}, `${where} options`);
      const custom = ((p.fieldConfig as Json | undefined)?.defaults as Json | undefined)?.custom;
      if (custom !== undefined) {
        if (types.fieldConfig) run(types.fieldConfig, custom, `${where} fieldConfig.defaults.custom`);
        else out.push({ where: `${where} fieldConfig.defaults.custom`, message: `${String(p.type)} has no custom field config` });
      }
      for (const [i, t] of ((p.targets as Json[] | undefined) ?? []).entries()) run('PrometheusQuery', t, `${where} targets[${i}]`);
    }
    return out;
  }
}
