// --wait-for-sync: the compose backfill starts with the exporter and must wait for its first sync
// (the database may not even exist yet), then read what that sync wrote.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureStoreTotals } from '../../exporter/src/store/invoices.js';
import { openDatabase } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { runHistory } from '../../exporter/src/history/command.js';
import { finishRun, startRun } from '../../exporter/src/store/sync-runs.js';
import { tempDir } from '../helpers/tmp.js';

const NOW = Math.floor(Date.now() / 1000);

function capture() {
  let stderr = '';
  return { io: { stdout: process.stdout, stderr: { write: (s: string) => (stderr += s) }, now: () => NOW }, stderr: () => stderr };
}

describe('history --wait-for-sync', () => {
  it('waits for the database, then for every store\'s first successful sync, and reads after it', async () => {
    const dir = tempDir();
    const path = join(dir, 'later.db');
    const out = join(dir, 'h.om');
    const c = capture();
    let settled = false;
    const running = runHistory(path, { out, step: '1h', job: 'j', instance: 'i', waitForSync: '30' }, c.io).finally(() => (settled = true));
    const tick = () => new Promise((r) => setTimeout(r, 1500)); // longer than one poll
    await tick();
    const h = openDatabase(path);
    await migrateToLatest(h.db);
    await ensureStoreTotals(h.db, 'S1');
    await ensureStoreTotals(h.db, 'S2');
    const outcome = (at: number) => ({ ok: true, finishedAt: at, durationSeconds: 1, itemsFetched: 0, itemsWritten: 0 });
    await finishRun(h.db, await startRun(h.db, 'btcpay:S1', NOW), 'btcpay:S1', outcome(NOW));
    // A failing source does not hold it back; a store still in its first run does.
    await finishRun(h.db, await startRun(h.db, 'angor', NOW), 'angor', { ...outcome(NOW), ok: false, errorReason: 'network' });
    const s2 = await startRun(h.db, 'btcpay:S2', NOW);
    await tick();
    expect(settled).toBe(false);
    await finishRun(h.db, s2, 'btcpay:S2', outcome(NOW));
    await h.close();
    expect(await running).toBe(0);
    expect(c.stderr()).toMatch(/^note: the database has no invoices yet/);
    expect(readFileSync(out, 'utf8')).toBe('# EOF\n');
  }, 30_000);

  it('gives up after the given time with one line and exit 1', async () => {
    const c = capture();
    const dir = tempDir();
    const code = await runHistory(join(dir, 'never.db'), { out: join(dir, 'h.om'), step: '1h', job: 'j', instance: 'i', waitForSync: '1' }, c.io);
    expect(code).toBe(1);
    expect(c.stderr()).toMatch(/^error: the exporter's first sync did not finish in \S+never\.db within 1 s \(--wait-for-sync\)\n$/);
  });
});
