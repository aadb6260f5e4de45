#!/usr/bin/env node
// Command line: serve (default), sync (one run of every source, then exit), migrate, simulate, export,
// history (OpenMetrics with timestamps for backfilling Prometheus).
import { Command } from 'commander';
import { ConfigError, DEFAULT_PORT, loadConfig, type Config } from './config.js';
import { DEFAULT_INSTANCE, DEFAULT_JOB, DEFAULT_STEP } from './history/defaults.js';
import { openDatabase } from './store/connection.js';
import { migrateToLatest } from './store/migrator.js';
import { createLogger } from './log.js';
import { startExporter } from './main.js';
import { VERSION } from './version.js';

/** Loads the configuration or exits with one clear line (never a stack trace). */
function configOrExit(overrides: Record<string, string | undefined> = {}): Config {
  try {
    return loadConfig({ ...process.env, ...overrides });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

function fail(err: unknown): never {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

async function serve(): Promise<void> {
  const config = configOrExit();
  const exporter = await startExporter(config).catch(fail);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      exporter.log.warn({ signal }, 'second signal, exiting at once');
      process.exit(130);
    }
    exporter.log.info({ signal }, 'signal received');
    exporter.close().then(
      () => process.exit(0),
      (err: unknown) => {
        exporter.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function syncOnce(): Promise<void> {
  const config = configOrExit({ PORT: '0', HOST: '127.0.0.1' });
  const exporter = await startExporter(config, { schedule: false }).catch(fail);
  const results = await exporter.scheduler.runAll('cli');
  await exporter.close();
  for (const r of results) {
    process.stdout.write(`${r.source}: ${r.ok ? 'ok' : `failed (${r.errorReason}): ${r.errorMessage}`}\n`);
  }
  if (results.length === 0) process.stdout.write('no source is configured\n');
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}

async function migrate(): Promise<void> {
  const config = configOrExit();
  const log = createLogger(config.logLevel);
  const database = openDatabase(config.databasePath);
  try {
    const applied = await migrateToLatest(database.db);
    log.info({ applied, database: config.databasePath }, applied.length ? 'migrated' : 'already up to date');
  } finally {
    await database.close();
  }
}

interface SimulateOptions {
  port: string;
  host: string;
  days: string;
  perDay: string;
  stores: string;
  seed: string;
  live: boolean;
  legacy: boolean;
  webhookUrl: string;
}

/** Runs the BTCPay simulator on its own, for pointing a real exporter (or anything else) at it. */
async function simulate(o: SimulateOptions): Promise<void> {
  const log = createLogger(process.env.LOG_LEVEL ?? 'info');
  const num = (name: string, v: string) => {
    if (!/^\d+$/.test(v)) fail(new Error(`--${name} must be a whole number (got "${v}")`));
    return Number(v);
  };
  const [{ PERM }, { startDemoBtcpay }] = await Promise.all([
    import('./demo/btcpay-simulator/api-keys.js'),
    import('./demo/btcpay-simulator/demo.js'),
  ]);
  const sim = await startDemoBtcpay({
    log,
    host: o.host,
    port: num('port', o.port),
    days: num('days', o.days),
    invoicesPerDay: num('per-day', o.perDay),
    stores: num('stores', o.stores),
    seed: num('seed', o.seed),
    liveIntervalMs: o.live ? 4000 : 0,
    crowdfundIntervalMs: o.live ? 5000 : 0,
    compat: o.legacy ? { includePaymentMethods: false } : undefined,
    // Enough for every exporter feature, store discovery and Crowdfund app listing included.
    permissions: () => [PERM.modifyStoreSettings],
  });
  sim.connect(o.webhookUrl);
  process.stdout.write(
    [
      `BTCPay simulator listening on ${sim.url}`,
      `webhooks of every store go to ${o.webhookUrl}`,
      '',
      'Point the exporter at it with:',
      `  BTCPAY_URL=${sim.url}`,
      `  BTCPAY_API_KEY=${sim.apiKey}`,
      `  BTCPAY_STORE_IDS=${sim.storeIds.join(',')}`,
      `  BTCPAY_WEBHOOK_SECRET=${sim.webhookSecret}`,
      // The key may list the apps; this per-app option is the one thing the API cannot tell.
      `  BTCPAY_CROWDFUND_ALL_STORE_INVOICES=${sim.crowdfundAllStoreInvoices.join(',')}`,
      '',
    ].join('\n'),
  );
  const stop = () => {
    sim.close().then(() => process.exit(0), fail);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** The invoice export (export/run-export.ts); every failure is one line on stderr and exit code 2. */
async function exportInvoices(o: Record<string, string | string[] | undefined>): Promise<void> {
  const config = configOrExit();
  const { runExport } = await import('./export/run-export.js');
  try {
    const n = await runExport(config.databasePath, o);
    if (o.out !== '-') process.stderr.write(`exported ${n} invoice${n === 1 ? '' : 's'} to ${String(o.out)}\n`);
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}

/** The database's history for `promtool tsdb create-blocks-from openmetrics` (docs/history.md). */
async function history(options: Record<string, unknown>): Promise<void> {
  const config = configOrExit();
  const { runHistory } = await import('./history/command.js');
  process.exitCode = await runHistory(config.databasePath, options);
}

const program = new Command()
  .name('crowdfund-exporter')
  .description('Prometheus exporter for BTCPay Server invoices, webhooks and crowdfunds, and Angor projects')
  .version(VERSION);
program.command('serve', { isDefault: true }).description('run the exporter (HTTP server and scheduled syncs)').action(serve);
program.command('sync').description('run one sync of every configured source, then exit').action(syncOnce);
program.command('migrate').description('apply database migrations, then exit').action(migrate);
program
  .command('simulate')
  .description('run the built-in BTCPay Server simulator (Greenfield API and signed webhooks) on its own')
  .option('--port <port>', 'port to listen on', '9862')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--days <days>', 'days of invoice history per store', '30')
  .option('--per-day <n>', 'invoices per day and store in the history', '50')
  .option('--stores <n>', 'number of stores', '2')
  .option('--seed <n>', 'random seed (same seed, same history)', '21000000')
  .option('--no-live', 'no new invoices after start-up')
  .option('--legacy', 'behave like a BTCPay older than 2.4 (no includePaymentMethods)', false)
  .option('--webhook-url <url>', 'where the stores\' webhooks deliver', `http://127.0.0.1:${DEFAULT_PORT}/webhooks/btcpay`)
  .action(simulate);

program
  .command('export')
  .description('write the stored invoices as CSV, JSON or NDJSON, as GET /api/invoices serves them, then exit')
  .option('--format <format>', 'csv, json or ndjson', 'json')
  .option('--store <id>', 'only this store')
  .option('--status <status>', 'only this status (New, Processing, Settled, Expired, Invalid); repeatable', (v: string, all: string[]) => [...all, v], [])
  .option('--from <time>', 'created at or after (unix seconds or ISO 8601)')
  .option('--to <time>', 'created at or before (unix seconds or ISO 8601; a date alone means its whole day)')
  .option('--raised <bool>', 'true: only invoices that count as raised; false: only those that do not')
  .option('--out <file>', 'file to write (- for standard output); written only when complete')
  // Usage errors (unknown option, missing value) end like any other export error: exit code 2.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .action(exportInvoices);

program
  .command('history')
  .description('write the database\'s history as OpenMetrics with timestamps, for promtool tsdb create-blocks-from openmetrics')
  .requiredOption('--out <file>', 'where to write it (- for stdout)')
  .option('--step <duration>', 'time between samples: 15m, 1h, 1d, ...', DEFAULT_STEP)
  .option('--from <time>', 'no sample before this time (unix seconds or ISO 8601; default: the first invoice)')
  .option('--until <time>', 'no sample after this time (default: the last step boundary at least 3 hours ago)')
  .option('--job <name>', 'job label: the Prometheus scrape job of the exporter', DEFAULT_JOB)
  .option('--instance <address>', 'instance label: the scrape target of the exporter', DEFAULT_INSTANCE)
  .option('--wait-for-sync <seconds>', 'first wait up to this long for the exporter\'s first BTCPay sync')
  // Bad input is one line on stderr and exit 2, like a bad configuration.
  .showSuggestionAfterError(false)
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .action(history);

program.parseAsync(process.argv).catch(fail);
