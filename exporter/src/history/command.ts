// `crowdfund-exporter history`: the database's history as OpenMetrics text with timestamps, for
// `promtool tsdb create-blocks-from openmetrics`. Bad input is one line on stderr and exit 2; the
// data goes to --out (a file, written aside and renamed when complete, or `-` for stdout), and a
// one-line summary to stderr.
import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { BUSY_TIMEOUT_MS } from '../store/connection.js';
import { HistoryArgsError, parseHistoryArgs, type HistoryArgs } from './args.js';
import { writeHistory, type HistorySummary } from './history.js';
import { BufferedWriter } from './openmetrics.js';
import { HistoryReader } from './reader.js';

export interface HistoryIo {
  stdout: Writable;
  stderr: { write(text: string): unknown };
  now(): number;
}

const defaultIo: HistoryIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  now: () => Math.floor(Date.now() / 1000),
};

/** A failure the user can fix by changing the input: exit 2. */
class InputError extends Error {}

const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

function openReadOnly(path: string): BetterSqlite3.Database {
  if (!existsSync(path)) throw new InputError(`database ${path} does not exist (DATABASE_PATH; the exporter creates it on its first start)`);
  let sqlite: BetterSqlite3.Database;
  try {
    sqlite = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (err) {
    throw new InputError(`database ${path} cannot be opened: ${(err as Error).message}`);
  }
  let missing: string[];
  try {
    missing = new HistoryReader(sqlite).missingTables();
  } catch (err) {
    sqlite.close();
    throw new InputError(`database ${path} cannot be read: ${(err as Error).message}`);
  }
  if (missing.length > 0) {
    sqlite.close();
    throw new InputError(`database ${path} has no ${missing.join(', ')} table (not migrated: run \`crowdfund-exporter migrate\` or start the exporter once)`);
  }
  return sqlite;
}

/**
 * Whether the exporter finished its first sync: some source finished a run, none is still in its
 * first run, and every BTCPay store it follows (store_totals) synced successfully once. A source
 * that fails (an unreachable Angor relay) does not hold the history back; a store that never
 * synced does. False while the file or its tables are missing.
 */
function firstSyncDone(path: string): boolean {
  if (!existsSync(path)) return false;
  let sqlite: BetterSqlite3.Database | undefined;
  try {
    sqlite = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
    const row = sqlite
      .prepare(
        `select (select count(*) from sync_state where last_outcome is not null) as finished,
                (select count(*) from sync_state where last_outcome is null) as first_runs,
                (select count(*) from store_totals t left join sync_state s on s.source = 'btcpay:' || t.store_id
                 where s.last_success_at is null) as unsynced_stores`,
      )
      .get() as { finished: number; first_runs: number; unsynced_stores: number };
    return row.finished > 0 && row.first_runs === 0 && row.unsynced_stores === 0;
  } catch {
    return false; // not created or not migrated yet
  } finally {
    sqlite?.close();
  }
}

function checkOutputDir(out: string): void {
  const dir = dirname(resolve(out));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`--out: directory ${dir} does not exist`);
}

async function waitForFirstSync(path: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!firstSyncDone(path)) {
    if (Date.now() >= deadline) {
      throw new Error(`the exporter's first sync did not finish in ${path} within ${seconds} s (--wait-for-sync)`);
    }
    await sleep(1000);
  }
}

function describe(summary: HistorySummary, args: HistoryArgs): string {
  if (summary.empty === 'no-invoices') return 'note: the database has no invoices yet; the history is empty (only # EOF)';
  if (summary.empty === 'no-steps') {
    return `note: no ${args.step} s step boundary lies between the first invoice${args.from !== undefined ? ' (or --from)' : ''} and --until ${iso(args.until)}; the history is empty (only # EOF)`;
  }
  const r = summary.range!;
  return `history: ${summary.series} series, ${summary.samples} samples every ${args.step} s from ${iso(r.start)} to ${iso(r.end)} (${summary.families.join(', ')})`;
}

/** Runs the command; resolves to the exit code. Nothing but the result or one error line reaches stderr. */
export async function runHistory(databasePath: string, raw: Record<string, unknown>, io: HistoryIo = defaultIo): Promise<number> {
  let args: HistoryArgs;
  try {
    args = parseHistoryArgs(raw, io.now());
  } catch (err) {
    if (err instanceof HistoryArgsError) {
      io.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    throw err;
  }

  let sqlite: BetterSqlite3.Database | undefined;
  const toStdout = args.out === '-';
  const tmp = `${args.out}.tmp-${process.pid}`;
  try {
    if (!toStdout) checkOutputDir(args.out);
    if (args.waitForSyncSeconds !== undefined) await waitForFirstSync(databasePath, args.waitForSyncSeconds);
    sqlite = openReadOnly(databasePath);
    const w = new BufferedWriter(toStdout ? io.stdout : createWriteStream(tmp));
    let summary: HistorySummary;
    // One read transaction: every series sees the same snapshot while the exporter keeps writing.
    sqlite.exec('begin');
    try {
      summary = await writeHistory(sqlite, w, args);
    } finally {
      sqlite.exec('commit');
    }
    await w.end(!toStdout);
    if (!toStdout) renameSync(tmp, args.out);
    io.stderr.write(`${describe(summary, args)}\n`);
    return 0;
  } catch (err) {
    if (!toStdout) rmSync(tmp, { force: true });
    io.stderr.write(`error: ${(err as Error).message}\n`);
    return err instanceof InputError ? 2 : 1;
  } finally {
    sqlite?.close();
  }
}
