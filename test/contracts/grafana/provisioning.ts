// Grafana's provisioning files (grafana/provisioning/) read strictly, with the fields of Grafana's
// file-provisioning format (docs: "Provision Grafana": data sources, dashboard providers, alert rules,
// contact points, notification policies): a key Grafana does not know is an error, not ignored.
// Then the references between them: dashboards and alert rules use provisioned datasource uids,
// alert rules sit in the dashboards' folder, dashboards are not editable in the UI.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ROOT } from '../../stack/tools.js';

const jsonObject = z.record(z.string(), z.unknown());

export const DatasourcesFile = z.strictObject({
  apiVersion: z.literal(1),
  deleteDatasources: z.array(z.strictObject({ name: z.string(), orgId: z.number().int().optional() })).optional(),
  prune: z.boolean().optional(),
  datasources: z.array(
    z.strictObject({
      name: z.string(),
      type: z.string(),
      uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
      access: z.enum(['proxy', 'direct']).optional(),
      orgId: z.number().int().optional(),
      url: z.string().url(),
      user: z.string().optional(),
      database: z.string().optional(),
      basicAuth: z.boolean().optional(),
      basicAuthUser: z.string().optional(),
      withCredentials: z.boolean().optional(),
      isDefault: z.boolean().optional(),
      editable: z.boolean().optional(),
      version: z.number().int().optional(),
      jsonData: jsonObject.optional(),
      secureJsonData: z.record(z.string(), z.string()).optional(),
    }),
  ),
});

export const DashboardProvidersFile = z.strictObject({
  apiVersion: z.literal(1),
  providers: z.array(
    z.strictObject({
      name: z.string(),
      orgId: z.number().int().optional(),
      folder: z.string().optional(),
      folderUid: z.string().optional(),
      type: z.literal('file'),
      disableDeletion: z.boolean().optional(),
      updateIntervalSeconds: z.number().int().optional(),
      allowUiUpdates: z.boolean().optional(),
      options: z.strictObject({ path: z.string(), foldersFromFilesStructure: z.boolean().optional() }),
    }),
  ),
});

const AlertQuery = z.strictObject({
  refId: z.string(),
  queryType: z.string().optional(),
  relativeTimeRange: z.strictObject({ from: z.number().int(), to: z.number().int() }).optional(),
  datasourceUid: z.string(),
  model: jsonObject,
});

export const AlertRulesFile = z.strictObject({
  apiVersion: z.literal(1),
  groups: z.array(
    z.strictObject({
      orgId: z.number().int(),
      name: z.string(),
      folder: z.string(),
      interval: z.string().regex(/^\d+[smhd]$/),
      rules: z.array(
        z.strictObject({
          uid: z.string().max(40),
          title: z.string(),
          condition: z.string(),
          data: z.array(AlertQuery).min(1),
          dashboardUid: z.string().optional(),
          panelId: z.number().int().optional(),
          noDataState: z.enum(['Alerting', 'NoData', 'OK']),
          execErrState: z.enum(['Alerting', 'Error', 'OK']),
          for: z.string().regex(/^\d+[smhd]$/),
          annotations: z.record(z.string(), z.string()).optional(),
          labels: z.record(z.string(), z.string()).optional(),
          isPaused: z.boolean().optional(),
          notification_settings: jsonObject.optional(),
        }),
      ),
    }),
  ),
  deleteRules: z.array(jsonObject).optional(),
});

export const ContactPointsFile = z.strictObject({
  apiVersion: z.literal(1),
  contactPoints: z.array(
    z.strictObject({
      orgId: z.number().int(),
      name: z.string(),
      receivers: z.array(z.strictObject({ uid: z.string(), type: z.string(), settings: jsonObject, disableResolveMessage: z.boolean().optional() })),
    }),
  ),
  deleteContactPoints: z.array(jsonObject).optional(),
});

const Route: z.ZodType = z.lazy(() =>
  z.strictObject({
    receiver: z.string().optional(),
    group_by: z.array(z.string()).optional(),
    object_matchers: z.array(z.tuple([z.string(), z.enum(['=', '!=', '=~', '!~']), z.string()])).optional(),
    continue: z.boolean().optional(),
    group_wait: z.string().optional(),
    group_interval: z.string().optional(),
    repeat_interval: z.string().optional(),
    mute_time_intervals: z.array(z.string()).optional(),
    routes: z.array(Route).optional(),
  }),
);

export const PoliciesFile = z.strictObject({
  apiVersion: z.literal(1),
  policies: z.array(
    z.strictObject({
      orgId: z.number().int(),
      receiver: z.string(),
      group_by: z.array(z.string()).optional(),
      group_wait: z.string().optional(),
      group_interval: z.string().optional(),
      repeat_interval: z.string().optional(),
      routes: z.array(Route).optional(),
    }),
  ),
  resetPolicies: z.array(z.number()).optional(),
});

export interface ProvisioningFiles {
  datasources: Record<string, unknown>;
  dashboards: Record<string, unknown>;
  alerting: Record<string, unknown>;
}

const PROV = join(ROOT, 'grafana', 'provisioning');

export function readProvisioning(): ProvisioningFiles {
  const read = (dir: string) =>
    Object.fromEntries(
      readdirSync(join(PROV, dir))
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => [f, parse(readFileSync(join(PROV, dir, f), 'utf8')) as unknown]),
    );
  return { datasources: read('datasources'), dashboards: read('dashboards'), alerting: read('alerting') };
}

/** Every problem of the provisioning files, and of the dashboards' references into them. */
export function provisioningFindings(files: ProvisioningFiles, dashboards: Array<{ file: string; json: unknown }>): string[] {
  const out: string[] = [];
  const parseAs = <T>(schema: z.ZodType<T>, file: string, doc: unknown): T | undefined => {
    const r = schema.safeParse(doc);
    if (r.success) return r.data;
    for (const i of r.error.issues) out.push(`${file}: ${i.path.join('.') || '/'}: ${i.message}`);
    return undefined;
  };

  const uids = new Map<string, string>();
  for (const [file, doc] of Object.entries(files.datasources)) {
    for (const ds of parseAs(DatasourcesFile, `datasources/${file}`, doc)?.datasources ?? []) {
      if (uids.has(ds.uid)) out.push(`datasources/${file}: uid ${ds.uid} provisioned twice`);
      uids.set(ds.uid, ds.type);
    }
  }
  const defaults = Object.values(files.datasources).flatMap((d) => DatasourcesFile.safeParse(d).data?.datasources ?? []).filter((d) => d.isDefault);
  if (defaults.length !== 1) out.push(`exactly one default datasource expected, found ${defaults.length}`);

  const folders = new Set<string>();
  for (const [file, doc] of Object.entries(files.dashboards)) {
    for (const p of parseAs(DashboardProvidersFile, `dashboards/${file}`, doc)?.providers ?? []) {
      if (!p.folder) out.push(`dashboards/${file}: provider ${p.name} has no folder`);
      else folders.add(p.folder);
      // Dashboards are code (grafana/src/): an edit in the UI would be lost at the next provisioning.
      if (p.allowUiUpdates !== false) out.push(`dashboards/${file}: provider ${p.name} must set allowUiUpdates: false`);
    }
  }

  for (const [file, doc] of Object.entries(files.alerting)) {
    const d = doc as Record<string, unknown>;
    if ('groups' in d) {
      for (const g of parseAs(AlertRulesFile, `alerting/${file}`, doc)?.groups ?? []) {
        if (!folders.has(g.folder)) out.push(`alerting/${file}: group ${g.name} is in folder "${g.folder}", not a provisioned dashboards folder (${[...folders].join(', ')})`);
        for (const r of g.rules) {
          for (const q of r.data) {
            if (q.datasourceUid === '__expr__') continue;
            if (!uids.has(q.datasourceUid)) out.push(`alerting/${file}: rule ${r.uid} query ${q.refId} uses datasource uid ${q.datasourceUid}, which is not provisioned`);
          }
          if (!r.data.some((q) => q.refId === r.condition)) out.push(`alerting/${file}: rule ${r.uid} condition ${r.condition} is no query refId`);
        }
      }
    } else if ('contactPoints' in d) parseAs(ContactPointsFile, `alerting/${file}`, doc);
    else if ('policies' in d) parseAs(PoliciesFile, `alerting/${file}`, doc);
    else out.push(`alerting/${file}: not an alert rules, contact points or policies file`);
  }

  // Datasource references in dashboards (panels, queries, variables) must be provisioned uids.
  for (const { file, json } of dashboards) {
    const visit = (node: unknown, path: string) => {
      if (Array.isArray(node)) node.forEach((n, i) => visit(n, `${path}[${i}]`));
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        const ds = o.datasource as { uid?: unknown; type?: unknown } | undefined;
        if (ds && typeof ds === 'object' && typeof ds.uid === 'string' && !ds.uid.startsWith('$') && ds.uid !== '-- Grafana --') {
          if (!uids.has(ds.uid)) out.push(`dashboards/${file}: ${path} uses datasource uid ${ds.uid}, which is not provisioned`);
          else if (ds.type !== uids.get(ds.uid)) out.push(`dashboards/${file}: ${path} names datasource ${ds.uid} with type ${String(ds.type)}, provisioned as ${uids.get(ds.uid)}`);
        }
        for (const [k, v] of Object.entries(o)) if (k !== 'datasource') visit(v, `${path}.${k}`);
      }
    };
    visit(json, '');
  }
  return out;
}
