#!/usr/bin/env node
// Command line: serve (default), sync (one run of every source, then exit), migrate.
import { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/connection.js';
import { migrateToLatest } from './db/migrator.js';
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

const program = new Command()
  .name('crowdfund-exporter')
  .description('Prometheus exporter for BTCPay Server invoices, webhooks and crowdfunds, and Angor projects')
  .version(VERSION);
program.command('serve', { isDefault: true }).description('run the exporter (HTTP server and scheduled syncs)').action(serve);
program.command('sync').description('run one sync of every configured source, then exit').action(syncOnce);
program.command('migrate').description('apply database migrations, then exit').action(migrate);

program.parseAsync(process.argv).catch(fail);
