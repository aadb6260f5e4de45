// One-off A/B for issue 14: the sync's page write before the per-method split (the tree at 5546ddd)
// and with it (this tree: btc_paid_by_method on every row, store_payment_method_totals moved in the
// same transaction), in one process, alternating rounds. The same records go to both (the old
// writer ignores btcPaidByMethod). Needs the old tree:
//   mkdir /tmp/old-main && git archive 5546ddd exporter | tar -x -C /tmp/old-main && ln -s "$PWD/node_modules" /tmp/old-main/
// Run: OLD_ROOT=/tmp/old-main npx tsx bench/ab/method-split.ts  (N, ROUNDS optional)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const OLD = `${process.env.OLD_ROOT ?? '/tmp/old-main'}/exporter/src`;
const NEW = new URL('../../exporter/src', import.meta.url).pathname.replace(/\/$/, '');
const stores = { old: await import(`${OLD}/store/invoices.ts`), new: await import(`${NEW}/store/invoices.ts`) };
const conns = { old: await import(`${OLD}/store/connection.ts`), new: await import(`${NEW}/store/connection.ts`) };
const migs = { old: await import(`${OLD}/store/migrator.ts`), new: await import(`${NEW}/store/migrator.ts`) };
const N = Number(process.env.N ?? 50_000);
const PAGE = 500;
const STATUSES = ['New', 'Processing', 'Settled', 'Expired', 'Invalid'] as const;
function recs(pass: number) {
  return Array.from({ length: N }, (_, i) => ({
    id: `inv${i.toString(36).padStart(8, '0')}`, storeId: i % 2 ? 'S1' : 'S2',
    status: STATUSES[(i + pass) % 5]!, additionalStatus: i % 7 === 0 ? 'PaidLate' : 'None', currency: i % 3 ? 'USD' : 'EUR',
    amount: `${(i % 500) + 1}.${String(i % 100).padStart(2, '0')}`, btcPaidSats: 1000 + i, createdTime: 1_700_000_000 + i,
    // The sats on one of three methods, as the sync computes it from the payment methods (unused ones left out).
    btcPaidByMethod: { [['BTC-CHAIN', 'BTC-LN', 'BTC-LNURL'][i % 3]!]: 1000 + i },
    expirationTime: 1_700_000_900 + i, monitoringExpiration: 1_700_086_400 + i, archived: false, orderId: `o-${i}`, itemCode: null,
    amountsSynced: true, statusSource: 'sync' as const,
  }));
}
const methods = (i: number) => [{ paymentMethodId: 'BTC-CHAIN', currency: 'BTC', rate: '50000.1', amount: '0.001', paymentMethodPaid: '0.001', paymentMethodFee: '0', payments: [{ id: `p${i}`, receivedDate: 1_700_000_000, value: '0.001', fee: '0', status: 'Settled' }] }];
const data = [recs(0), recs(1)];
async function run(kind: 'old' | 'new'): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ab-'));
  const h = conns[kind].openDatabase(join(dir, 'x.db'));
  await migs[kind].migrateToLatest(h.db);
  h.sqlite.pragma('synchronous = OFF');
  const t0 = process.cpuUsage();
  for (const all of data) {
    for (let i = 0; i < N; i += PAGE) {
      const page = all.slice(i, i + PAGE);
      const pay = page.map((r, j) => ({ invoiceId: r.id, methods: methods(i + j) }));
      h.sqlite.transaction(() => {
        const w = stores[kind].createInvoiceWriter(h.sqlite);
        w.upsertPage(page, 1_700_100_000);
        w.replacePayments(pay);
      })();
    }
  }
  const t = process.cpuUsage(t0);
  await h.close();
  rmSync(dir, { recursive: true, force: true });
  return (t.user + t.system) / 1000;
}
const res: Record<string, number[]> = { old: [], new: [] };
for (let r = 0; r < Number(process.env.ROUNDS ?? 5); r++) for (const k of r % 2 ? (['new', 'old'] as const) : (['old', 'new'] as const)) res[k]!.push(await run(k));
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`page writes of ${N} invoices twice (insert pass + update pass), pages of ${PAGE}, CPU ms per run:`);
for (const k of ['old', 'new']) console.log(`  ${k}: ${res[k]!.map((x) => x.toFixed(0)).join(', ')}  median ${med(res[k]!).toFixed(0)} ms (${(med(res[k]!) * 1000 / (2 * N)).toFixed(1)} µs per invoice write)`);
