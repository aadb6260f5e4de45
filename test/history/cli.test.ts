// `crowdfund-exporter history` as a user runs it: bad input is exactly one line on stderr and exit
// 2, with nothing logged before it; an empty database gives a file with only `# EOF`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvoiceWriter } from '../../exporter/src/store/invoices.js';
import { openDatabase } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { PROJECT_ROOT } from '../../exporter/src/version.js';
import { tempDir } from '../helpers/tmp.js';

const cli = join(PROJECT_ROOT, 'exporter/src/cli.ts');
const dir = tempDir('crowdfund-history-cli-');
const emptyDb = join(dir, 'empty.db');
const dataDb = join(dir, 'data.db');
const children: Array<ReturnType<typeof spawn>> = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

async function history(args: string[], databasePath = dataDb) {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'history', ...args], {
    cwd: PROJECT_ROOT, // as test/cli.test.ts: tsx resolves from here
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_PATH: databasePath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

const NOW = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  for (const path of [emptyDb, dataDb]) {
    const h = openDatabase(path);
    await migrateToLatest(h.db);
    if (path === dataDb) {
      const created = NOW - 2 * 86400;
      createInvoiceWriter(h.sqlite).upsert(
          {
            id: 'inv1', storeId: 'S1', status: 'Settled', additionalStatus: 'Marked', currency: 'USD', amount: '21',
            btcPaidSats: 0, createdTime: created, expirationTime: created + 900, monitoringExpiration: created + 86400,
            archived: false, orderId: null, itemCode: null, amountsSynced: true, statusSource: 'sync',
          },
          NOW,
      );
    }
    await h.close();
  }
});

describe('history command', () => {
  it('refuses bad input with one line on stderr and exit 2', async () => {
    const out = join(dir, 'never.om');
    // Each kind of failure once (args.test.ts covers every flag's messages in-process).
    const cases: Array<[string[], RegExp, string?]> = [
      [['--out', out, '--bogus'], /^error: unknown option '--bogus'\n$/],
      [['--step', '1h'], /^error: required option '--out <file>' not specified\n$/],
      [['--out', out, '--step', 'hourly'], /^error: --step: "hourly" is not a duration \(.*\)\n$/],
      [['--out', out, '--until', String(NOW + 3600)], /^error: --until \S+ is in the future \(now is \S+\)\n$/],
      [['--out', out], /^error: database \S+missing\.db does not exist \(DATABASE_PATH.*\)\n$/, join(dir, 'missing.db')],
    ];
    const results = await Promise.all(cases.map(([args, , db]) => history(args, db)));
    results.forEach((r, i) => {
      const [args, message] = cases[i]!;
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.split('\n')).toHaveLength(2); // one line and its newline
    });
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('an empty migrated database gives a file with only # EOF, a note on stderr and exit 0; --out - writes to stdout', async () => {
    const file = join(dir, 'empty.om');
    const [empty, stdout] = await Promise.all([history(['--out', file], emptyDb), history(['--out', '-', '--step', '1d'])]);
    expect(empty.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('# EOF\n');
    expect(empty.stderr).toMatch(/^note: the database has no invoices yet; the history is empty \(only # EOF\)\n$/);
    expect(stdout.code, stdout.stderr).toBe(0);
    expect(stdout.stdout).toMatch(/^# HELP btcpay_raised_sats /);
    expect(stdout.stdout).toContain('btcpay_contributions{store="S1",job="crowdfund-exporter",instance="exporter:9861"} 1 ');
    expect(stdout.stdout.endsWith('# EOF\n')).toBe(true);
    expect(stdout.stderr).toMatch(/^history: 4 series, \d+ samples every 86400 s from \S+ to \S+ \(btcpay_raised_sats, .*\)\n$/);
    // Written aside and renamed: no temporary file is left behind.
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 60_000);
});
