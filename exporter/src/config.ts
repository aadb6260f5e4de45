// The only reader of process.env. Everything the exporter can be told comes through here,
// parsed by one zod schema whose keys are the variable names, so every error names its variable.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { validate as validateCron } from 'node-cron';
import { z } from 'zod';

export const DEFAULT_PORT = 9861;
export const DEFAULT_DATABASE_PATH = 'data/crowdfund.db';
export const DEFAULT_SYNC_SCHEDULE = '*/5 * * * *';
export const DEFAULT_WEBHOOK_RATE_LIMIT = 50;

/** Variables that hold secrets: each may also come from `<NAME>_FILE`. */
export const SECRET_VARIABLES = [
  'BTCPAY_API_KEY',
  'BTCPAY_WEBHOOK_SECRET',
  'METRICS_TOKEN',
  'ADMIN_TOKEN',
] as const;

/** Default Nostr relays per network, from the Angor contract (FACTS.md 2.5). */
export const DEFAULT_NOSTR_RELAYS: Record<AngorNetwork, string[]> = {
  mainnet: [
    'wss://relay.angor.io',
    'wss://relay2.angor.io',
    'wss://relay.damus.io',
    'wss://nos.lol',
    'wss://nostr-01.yakihonne.com',
    'wss://nostr-02.yakihonne.com',
  ],
  testnet: ['wss://relay.angor.io', 'wss://relay2.angor.io'],
};

/** Default Angor indexers per network, primary first (Angor FACTS.md section 1). */
export const DEFAULT_ANGOR_INDEXERS: Record<AngorNetwork, string[]> = {
  mainnet: ['https://fulcrum.angor.online', 'https://indexer.angor.io', 'https://electrs.angor.online'],
  testnet: ['https://signet.angor.online', 'https://test.indexer.angor.io', 'https://signet2.angor.online'],
};

export type AngorNetwork = 'mainnet' | 'testnet';
export type Mode = 'demo' | 'live';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const bool = (name: string, fallback: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return fallback;
        const s = v.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(s)) return true;
        if (['0', 'false', 'no', 'off'].includes(s)) return false;
        ctx.addIssue({ code: 'custom', message: `${name} must be true or false (got "${v}")` });
        return z.NEVER;
      }),
  );

const int = (min: number, max: number, fallback: number) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return fallback;
        if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
          ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max} (got "${v}")` });
          return z.NEVER;
        }
        return Number(v);
      }),
  );

const list = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((v) =>
      v === undefined
        ? []
        : [...new Set(v.split(',').map((s) => s.trim()).filter((s) => s.length > 0))],
    ),
);

const httpUrl = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be an http(s) URL (got "${v}")` });
        return z.NEVER;
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') {
        ctx.addIssue({ code: 'custom', message: `must be an http(s) URL (got "${v}")` });
        return z.NEVER;
      }
      return v.replace(/\/+$/, '');
    }),
);

const urlList = (protocols: string[]) =>
  list.transform((items, ctx) => {
    for (const item of items) {
      let ok = false;
      try {
        ok = protocols.includes(new URL(item).protocol);
      } catch {
        ok = false;
      }
      if (!ok) {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not a ${protocols.join(' or ')} URL` });
        return z.NEVER;
      }
    }
    return items.map((s) => s.replace(/\/+$/, ''));
  });

const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

const envSchema = z.object({
  PORT: int(0, 65535, DEFAULT_PORT), // 0 picks a free port (tests, one-shot CLI runs)
  HOST: z.preprocess(emptyToUndefined, z.string().default('0.0.0.0')),
  PUBLIC_URL: httpUrl,
  GRAFANA_URL: httpUrl,
  DATABASE_PATH: z.preprocess(emptyToUndefined, z.string().default(DEFAULT_DATABASE_PATH)),
  LOG_LEVEL: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim().toLowerCase() : undefined),
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
  DEMO: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim().toLowerCase() : undefined),
    z
      .enum(['auto', 'true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
        error: (iss) => `must be auto, true or false (got "${String(iss.input)}")`,
      })
      .default('auto'),
  ),
  BTCPAY_URL: httpUrl,
  BTCPAY_API_KEY: optionalString,
  BTCPAY_STORE_IDS: list,
  BTCPAY_STORE_ID: list,
  BTCPAY_WEBHOOK_SECRET: optionalString,
  BTCPAY_CROWDFUND_APP_IDS: list,
  BTCPAY_CROWDFUND_ALL_STORE_INVOICES: list,
  BTCPAY_REQUEST_TIMEOUT_SECONDS: int(1, 600, 30),
  SYNC_SCHEDULE: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(DEFAULT_SYNC_SCHEDULE)
      .refine((v) => v.trim().split(/\s+/).length === 5 && validateCron(v), {
        error: (iss) => `must be a 5-field cron expression such as "*/5 * * * *" (got "${String(iss.input)}")`,
      }),
  ),
  SYNC_RECENT_WINDOW_HOURS: int(1, 24 * 365, 48),
  WEBHOOK_RATE_LIMIT: int(0, 1_000_000, DEFAULT_WEBHOOK_RATE_LIMIT),
  WEBHOOK_MAX_BODY_BYTES: int(1024, 50 * 1024 * 1024, 1024 * 1024),
  WEBHOOK_RETENTION_DAYS: int(1, 3650, 30),
  WEBHOOK_RETENTION_MAX_ROWS: int(100, 100_000_000, 100_000),
  ANGOR_ENABLE: bool('ANGOR_ENABLE', true),
  ANGOR_NETWORK: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim().toLowerCase() : undefined),
    z
      .enum(['mainnet', 'testnet'], {
        error: (iss) => `must be mainnet or testnet (got "${String(iss.input)}")`,
      })
      .default('mainnet'),
  ),
  ANGOR_INDEXER_URLS: urlList(['http:', 'https:']),
  ANGOR_PROJECTS: list,
  ANGOR_DEMO_FILE: z.preprocess(emptyToUndefined, z.string().default('data/angor_demo.json')),
  NOSTR_RELAYS: urlList(['ws:', 'wss:']),
  NOSTR_TIMEOUT_SECONDS: int(1, 120, 10),
  METRICS_TOKEN: optionalString,
  ADMIN_TOKEN: optionalString,
});

export interface Config {
  mode: Mode;
  port: number;
  host: string;
  /** Base URL users reach the exporter at; used for the webhook URL shown on the landing page. */
  publicUrl: string;
  /** True when PUBLIC_URL was given: only then may the exporter register its webhook in BTCPay. */
  publicUrlConfigured: boolean;
  /** Grafana's address for the status page's link (GRAFANA_URL); no link when undefined. */
  grafanaUrl: string | undefined;
  databasePath: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  syncSchedule: string;
  syncRecentWindowSeconds: number;
  metricsToken: string | undefined;
  adminToken: string | undefined;
  /** Live BTCPay settings; undefined when BTCPay is not configured (demo mode fills in its own). */
  btcpay:
    | {
        url: string;
        apiKey: string;
        storeIds: string[];
        webhookSecret: string | undefined;
        requestTimeoutMs: number;
        crowdfundAppIds: string[];
        crowdfundAllStoreInvoices: string[];
      }
    | undefined;
  webhooks: {
    rateLimitPerSecond: number;
    maxBodyBytes: number;
    retentionDays: number;
    retentionMaxRows: number;
  };
  angor: {
    enabled: boolean;
    network: AngorNetwork;
    indexerUrls: string[];
    relays: string[];
    projects: string[];
    demoFile: string;
    nostrTimeoutMs: number;
  };
}

export interface LoadConfigOptions {
  /** Where `.env` is looked for; defaults to the working directory. */
  cwd?: string;
  /** Set false to ignore a `.env` file (tests). */
  readDotenv?: boolean;
}

/**
 * Resolves `<NAME>_FILE` secrets: the file's content (without the trailing newline Docker secrets
 * usually have) becomes the value. Setting both forms is an error, not a silent choice.
 */
function resolveSecretFiles(env: Record<string, string | undefined>, cwd: string): Record<string, string | undefined> {
  const out = { ...env };
  for (const name of SECRET_VARIABLES) {
    const fileVar = `${name}_FILE`;
    const path = env[fileVar];
    if (path === undefined || path.trim() === '') continue;
    if (env[name] !== undefined && env[name]!.trim() !== '') {
      throw new ConfigError(`${name}: set either ${name} or ${fileVar}, not both`);
    }
    let content: string;
    try {
      content = readFileSync(resolve(cwd, path), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError(`${fileVar}: cannot read secret file "${path}" (${code})`);
    }
    const value = content.replace(/\r?\n$/, '');
    if (value.trim() === '') throw new ConfigError(`${fileVar}: secret file "${path}" is empty`);
    out[name] = value;
  }
  return out;
}

function readDotenvFile(cwd: string): Record<string, string> {
  const path = resolve(cwd, '.env');
  if (!existsSync(path)) return {};
  try {
    return parseDotenv(readFileSync(path));
  } catch (err) {
    throw new ConfigError(`.env: cannot be read (${(err as Error).message})`);
  }
}

export function loadConfig(
  processEnv: Record<string, string | undefined> = process.env,
  options: LoadConfigOptions = {},
): Config {
  const cwd = options.cwd ?? process.cwd();
  // The real environment wins over .env, as with docker compose and dotenv's own default.
  const merged = { ...(options.readDotenv === false ? {} : readDotenvFile(cwd)), ...processEnv };
  const env = resolveSecretFiles(merged, cwd);

  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'configuration');
    const message = issue.message.startsWith(`${name} `) ? issue.message : `${name}: ${issue.message}`;
    throw new ConfigError(message);
  }
  const e = parsed.data;

  const storeIds = [...new Set([...e.BTCPAY_STORE_IDS, ...e.BTCPAY_STORE_ID])];
  const demoFlag = e.DEMO;
  const demo =
    demoFlag === 'auto' ? e.BTCPAY_URL === undefined : ['true', '1', 'yes', 'on'].includes(demoFlag);

  let btcpay: Config['btcpay'];
  if (e.BTCPAY_URL !== undefined && !demo) {
    if (e.BTCPAY_API_KEY === undefined) {
      throw new ConfigError('BTCPAY_API_KEY: required when BTCPAY_URL is set (or use BTCPAY_API_KEY_FILE)');
    }
    btcpay = {
      url: e.BTCPAY_URL,
      apiKey: e.BTCPAY_API_KEY,
      storeIds,
      webhookSecret: e.BTCPAY_WEBHOOK_SECRET,
      requestTimeoutMs: e.BTCPAY_REQUEST_TIMEOUT_SECONDS * 1000,
      crowdfundAppIds: e.BTCPAY_CROWDFUND_APP_IDS,
      crowdfundAllStoreInvoices: e.BTCPAY_CROWDFUND_ALL_STORE_INVOICES,
    };
  } else if (e.BTCPAY_API_KEY !== undefined && e.BTCPAY_URL === undefined && !demo) {
    throw new ConfigError('BTCPAY_URL: required when BTCPAY_API_KEY is set');
  }

  const publicHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST;
  const network = e.ANGOR_NETWORK;
  return {
    mode: demo ? 'demo' : 'live',
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL ?? `http://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${e.PORT}`,
    publicUrlConfigured: e.PUBLIC_URL !== undefined,
    grafanaUrl: e.GRAFANA_URL,
    databasePath: e.DATABASE_PATH,
    logLevel: e.LOG_LEVEL,
    syncSchedule: e.SYNC_SCHEDULE.trim(),
    syncRecentWindowSeconds: e.SYNC_RECENT_WINDOW_HOURS * 3600,
    metricsToken: e.METRICS_TOKEN,
    adminToken: e.ADMIN_TOKEN,
    btcpay,
    webhooks: {
      rateLimitPerSecond: e.WEBHOOK_RATE_LIMIT,
      maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
      retentionDays: e.WEBHOOK_RETENTION_DAYS,
      retentionMaxRows: e.WEBHOOK_RETENTION_MAX_ROWS,
    },
    angor: {
      enabled: e.ANGOR_ENABLE,
      network,
      indexerUrls: e.ANGOR_INDEXER_URLS.length > 0 ? e.ANGOR_INDEXER_URLS : DEFAULT_ANGOR_INDEXERS[network],
      relays: e.NOSTR_RELAYS.length > 0 ? e.NOSTR_RELAYS : DEFAULT_NOSTR_RELAYS[network],
      projects: e.ANGOR_PROJECTS,
      demoFile: e.ANGOR_DEMO_FILE,
      nostrTimeoutMs: e.NOSTR_TIMEOUT_SECONDS * 1000,
    },
  };
}
