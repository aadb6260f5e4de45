// The export's cursor on a database larger than its pages: the stores' pages merged newest first
// equal SQLite's own `order by created_time desc, id desc` (ties at page boundaries, ids outside
// ASCII), filters apply inside the pages, and the whole export reads one snapshot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../exporter/src/demo/btcpay-simulator/rng.js';
import { openDatabase, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { INVOICE_STATUSES } from '../../exporter/src/store/schema.js';
import { compareBinary, openInvoiceCursor } from '../../exporter/src/export/invoice-cursor.js';
import type { InvoiceFilters } from '../../exporter/src/export/parameters.js';
import { tempDbPath } from '../helpers/tmp.js';

const T0 = 1_764_000_000;
let h: DatabaseHandle;
const path = tempDbPath();

beforeAll(async () => {
  h = openDatabase(path);
  await migrateToLatest(h.db);
  const insert = h.sqlite.prepare(`insert into invoices (id, store_id, status, additional_status, currency, amount, btc_paid_sats,
    created_time, expiration_time, monitoring_expiration, archived, order_id, item_code, counts_as_raised, is_final, amounts_synced,
    status_source, updated_at) values (?, ?, ?, 'None', 'USD', '1', ?, ?, ?, ?, 0, null, null, ?, 1, 1, 'sync', ?)`);
  const rng = new Rng(77);
  const odd = ['é', 'z', '😀', '\uFFFD', 'Z', 'ä'];
  h.sqlite.transaction(() => {
    // Few distinct creation times, so ties are everywhere, page boundaries included.
    for (let i = 0; i < 7000; i++) {
      const store = rng.pick(['A', 'B', 'C', 'D']);
      const status = rng.pick(INVOICE_STATUSES);
      const created = T0 - rng.int(0, 400) * 60;
      const id = `${rng.base58(6)}${i % 50 === 0 ? rng.pick(odd) : ''}${i}`;
      insert.run(id, store, status, status === 'Settled' ? 1000 : 0, created, created + 900, created + 86_400, status === 'Settled' ? 1 : 0, T0);
    }
  })();
});
afterAll(() => h.close());

/** SQLite's own order of the same selection, the reference. */
function reference(where = '1 = 1', ...args: unknown[]): string[] {
  return (h.sqlite.prepare(`select id from invoices where ${where} order by created_time desc, id desc`).pluck().all(...args) as string[]);
}

function ids(filters: InvoiceFilters): string[] {
  const c = openInvoiceCursor(path, filters);
  const out = [...c.rows].map((r) => r.invoice_id);
  expect(c.count).toBe(out.length);
  return out;
}

describe('invoice cursor', () => {
  it('merges the stores\' pages into SQLite\'s newest-first order', () => {
    const all = ids({});
    expect(all.length).toBe(7000);
    expect(all).toEqual(reference());
    expect(ids({ store: 'B' })).toEqual(reference("store_id = 'B'"));
    expect(reference("store_id = 'B'").length).toBeGreaterThan(1500);
  });

  it('applies status, time and raised filters inside the pages', () => {
    const from = T0 - 200 * 60;
    const to = T0 - 50 * 60;
    expect(ids({ statuses: ['Settled', 'New'], from, to })).toEqual(reference("status in ('Settled', 'New') and created_time between ? and ?", from, to));
    expect(ids({ raised: true })).toEqual(reference('counts_as_raised = 1'));
    expect(ids({ raised: false, store: 'D' })).toEqual(reference("counts_as_raised = 0 and store_id = 'D'"));
    expect(ids({ store: 'nope' })).toEqual([]);
  });

  it('orders ids like SQLite\'s BINARY collation, outside ASCII too', () => {
    const words = ['a', 'b', 'é', 'z', '😀', '\uFFFD', 'Z', 'ä', 'ab', ''];
    const sqlite = h.sqlite.prepare(`select value from json_each(?) order by value`).pluck().all(JSON.stringify(words)) as string[];
    expect([...words].sort(compareBinary)).toEqual(sqlite);
  });

  it('reads one snapshot: invoices written during the export are not in it', () => {
    const c = openInvoiceCursor(path, {});
    const it = c.rows;
    const firstRows = [it.next(), it.next()];
    expect(firstRows.every((r) => !r.done)).toBe(true);
    h.sqlite.prepare(`insert into invoices (id, store_id, status, currency, created_time, expiration_time, monitoring_expiration, updated_at)
      values ('late-arrival', 'A', 'New', 'USD', ?, ?, ?, ?)`).run(T0 - 10, T0, T0, T0);
    const oldest = reference("store_id = 'C' and status <> 'Invalid'").at(-1)!;
    h.sqlite.prepare("update invoices set status = 'Invalid' where id = ?").run(oldest);
    const rest = [...it];
    expect(rest.length + 2).toBe(7000);
    expect(rest.some((r) => r.invoice_id === 'late-arrival')).toBe(false);
    expect(rest.find((r) => r.invoice_id === oldest)!.status).not.toBe('Invalid');
    expect(ids({})).toContain('late-arrival');
  });

  it('closes its connection when the consumer stops early', () => {
    const c = openInvoiceCursor(path, {});
    for (const _ of c.rows) break;
    expect(() => c.close()).not.toThrow();
    c.close();
  });
});
