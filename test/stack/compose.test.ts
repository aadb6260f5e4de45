// docker-compose.yml against the Compose Specification schema (no Docker engine here), plus what
// the issue asks of the stack: pinned images, restart policies, healthchecks, named volumes, the
// database on a volume that does not hide data/, demo without .env; and the Dockerfile and
// .env.example it relies on.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { SECRET_VARIABLES } from '../../exporter/src/config.js';
import { ROOT } from './tools.js';

// A copy inside the repository (source and licence in fixtures/compose-spec/SOURCE.md): no test
// reads anything outside it.
const SCHEMA_PATH = join(ROOT, 'test', 'stack', 'fixtures', 'compose-spec', 'compose-spec.json');

const serviceSchema = z.object({
  image: z.string().optional(),
  build: z.unknown().optional(),
  restart: z.string().optional(),
  healthcheck: z.object({ test: z.array(z.string()) }).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  env_file: z.array(z.object({ path: z.string(), required: z.boolean() })).optional(),
  volumes: z.array(z.string()).optional(),
});
const composeSchema = z.object({
  name: z.string(),
  services: z.record(z.string(), serviceSchema),
  volumes: z.record(z.string(), z.unknown().nullable()),
});

const raw: unknown = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'));
const compose = composeSchema.parse(raw);

// ajv-formats is CommonJS: module.exports is the plugin, and so is its `default` property.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? (addFormatsModule as unknown as FormatsPlugin);

describe('docker-compose.yml', () => {
  let validate: ValidateFunction;
  beforeAll(() => {
    expect(existsSync(SCHEMA_PATH), `compose schema expected at ${SCHEMA_PATH}`).toBe(true);
    // The schema's $schema URL cannot be fetched offline, so the schema itself is not validated.
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    addFormats(ajv);
    validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
  });

  it('validates against the Compose Specification schema', () => {
    const ok = validate(raw);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema rejects a broken file (the validation is real)', () => {
    const broken = structuredClone(raw) as { services: Record<string, Record<string, unknown>> };
    broken.services.exporter!.ports = [{ target: 'not-a-port' }];
    broken.services.exporter!.restartt = 'always';
    expect(validate(broken)).toBe(false);
  });

  it('has no obsolete version: key', () => {
    expect(Object.keys(raw as object)).not.toContain('version');
  });

  it('runs the exporter, Prometheus, Grafana, Alertmanager and the one-shot backfill, and VictoriaMetrics only with --profile longterm', () => {
    const profiles = (name: string) => ((raw as { services: Record<string, { profiles?: string[] }> }).services[name]?.profiles ?? []);
    expect(Object.keys(compose.services).filter((s) => profiles(s).length === 0).sort()).toEqual(['alertmanager', 'backfill', 'backfill-history', 'exporter', 'grafana', 'prometheus']);
    expect(Object.keys(compose.services).filter((s) => profiles(s).length > 0)).toEqual(['victoriametrics']);
    expect(profiles('victoriametrics')).toEqual(['longterm']);
  });

  // One-shot services run to completion: restarted only on failure, with nothing to health-check.
  const ONE_SHOT = ['backfill', 'backfill-history'];

  it.each(Object.entries(compose.services))('%s: pinned image, restart policy, healthcheck', (name, svc) => {
    expect(svc.image).toBeDefined();
    if (svc.build === undefined) {
      const tag = svc.image!.split(':')[1] ?? '';
      expect(tag, `${svc.image} must pin a version`).toMatch(/^v?\d+\.\d+\.\d+/);
    }
    if (ONE_SHOT.includes(name)) {
      expect(svc.restart).toBe('on-failure');
      return;
    }
    expect(['always', 'unless-stopped', 'on-failure']).toContain(svc.restart);
    expect(svc.healthcheck?.test[0]).toMatch(/^CMD/);
  });

  it('state lives on named volumes', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const named = (svc.volumes ?? []).filter((v) => !v.startsWith('.') && !v.startsWith('/'));
      expect(named.length, `${name} keeps its state on a named volume`).toBeGreaterThanOrEqual(1);
      for (const v of named) expect(Object.keys(compose.volumes)).toContain(v.split(':')[0]);
    }
  });

  it('the exporter database is on its volume, which does not hide the shipped data/ files', () => {
    const exporter = compose.services.exporter!;
    const dbPath = exporter.environment?.DATABASE_PATH ?? '';
    const mount = (exporter.volumes ?? []).map((v) => v.split(':')).find(([src]) => src === 'exporter-data');
    expect(mount).toBeDefined();
    const target = mount![1]!;
    expect(dbPath.startsWith(`${target}/`)).toBe(true);
    // The image's working directory is /app with data/ in it (Dockerfile).
    expect(target === '/app' || target.startsWith('/app/')).toBe(false);
  });

  it('starts without a .env (demo mode): .env is optional and nothing requires BTCPay settings', () => {
    const exporter = compose.services.exporter!;
    expect(exporter.env_file).toEqual([{ path: '.env', required: false }]);
    expect(Object.keys(exporter.environment ?? {}).filter((k) => k.startsWith('BTCPAY_'))).toEqual([]);
    const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    // ${VAR:?error} would make compose refuse to start without it.
    expect(text).not.toMatch(/\$\{[A-Z_]+:?\?/);
  });

  it('mounts the provisioning and dashboards where the provisioning files expect them', () => {
    const grafana = compose.services.grafana!;
    const provider = readFileSync(join(ROOT, 'grafana/provisioning/dashboards/crowdfund.yml'), 'utf8');
    const path = /path:\s*(\S+)/.exec(provider)?.[1];
    expect(grafana.volumes).toContain(`./grafana/dashboards:${path}:ro`);
    expect(grafana.volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(compose.services.prometheus!.volumes).toContain('./prometheus:/etc/prometheus:ro');
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('is multi-stage on a pinned Node LTS image', () => {
    expect(text.match(/^FROM /gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/NODE_IMAGE=node:20\.\d+\.\d+-/);
  });

  it('runs as a non-root user, with a healthcheck, keeping the database off /app/data', () => {
    const user = [...text.matchAll(/^USER (\S+)/gm)].at(-1)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(text).toMatch(/^HEALTHCHECK /m);
    expect(text).toMatch(/DATABASE_PATH=\/var\/lib\/crowdfund\//);
  });

  it('the files it copies exist', () => {
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1]!.split(' ')) expect(existsSync(join(ROOT, src)), src).toBe(true);
    }
  });
});

describe('.env.example', () => {
  const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
  const config = readFileSync(join(ROOT, 'exporter/src/config.ts'), 'utf8');
  const schemaBlock = /const envSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(config)?.[1] ?? '';
  const variables = [...schemaBlock.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);

  it('documents every variable of exporter/src/config.ts, and the _FILE form of every secret', () => {
    expect(variables.length).toBeGreaterThan(20);
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    const missing = [...variables, ...SECRET_VARIABLES.map((s) => `${s}_FILE`)].filter((v) => !documented.has(v));
    expect(missing).toEqual([]);
  });

  it('leaves everything commented out, so copying it as .env still gives the demo', () => {
    expect(example.split('\n').filter((l) => /^[A-Z_]+=/.test(l))).toEqual([]);
  });
});
