// The history rule (docs/history.md) computed from the simulator's own model, independent of the
// exporter's database: an invoice that counts as raised now (Settled, or Expired and PaidLate)
// counts from the latest receivedDate of its accounted payments (any method), or from its creation
// when it has none; its sats are, per BTC method, its accounted payments rounded up to whole sats.
import type { BtcpaySimulator, SimInvoice } from '../../exporter/src/demo/btcpay-simulator/index.js';
import { Decimal } from '../../exporter/src/money.js';

export interface RaisedEvent {
  at: number;
  sats: number;
  currency: string;
  amount: string;
}

function raisedNow(inv: SimInvoice): boolean {
  return inv.status === 'Settled' || (inv.status === 'Expired' && inv.additionalStatus === 'PaidLate');
}

/** The store's raised invoices as (raise time, sats, price), oldest raise first. */
export function raisedEvents(sim: BtcpaySimulator, storeId: string): RaisedEvent[] {
  const out: RaisedEvent[] = [];
  for (const inv of sim.model.store(storeId).invoices) {
    if (!raisedNow(inv)) continue;
    const accounted = inv.payments.filter((p) => p.status !== 'Invalid');
    let sats = 0n;
    for (const m of inv.methods) {
      let msats = 0n;
      for (const p of accounted) if (p.methodId === m.id) msats += p.valueMsats;
      sats += (msats + 999n) / 1000n;
    }
    const at = accounted.length > 0 ? Math.max(...accounted.map((p) => p.receivedDate)) : inv.createdTime;
    out.push({ at, sats: Number(sats), currency: inv.currency, amount: inv.amount });
  }
  return out.sort((a, b) => a.at - b.at);
}

export interface TruthAt {
  raisedSats: number;
  contributions: number;
  /** Exact sums per price currency (only currencies raised by then). */
  amounts: Record<string, string>;
}

/** What the history must say at time t. */
export function truthAt(events: readonly RaisedEvent[], t: number): TruthAt {
  let raisedSats = 0;
  let contributions = 0;
  const amounts = new Map<string, Decimal>();
  for (const e of events) {
    if (e.at > t) break;
    raisedSats += e.sats;
    contributions += 1;
    amounts.set(e.currency, (amounts.get(e.currency) ?? new Decimal(0)).plus(e.amount));
  }
  return { raisedSats, contributions, amounts: Object.fromEntries([...amounts].map(([c, d]) => [c, d.toFixed()])) };
}

/** truthAt at every step boundary from `start` to `end`, in one pass. */
export function truthSeries(events: readonly RaisedEvent[], start: number, end: number, step: number): Array<{ t: number; raisedSats: number; contributions: number }> {
  const out: Array<{ t: number; raisedSats: number; contributions: number }> = [];
  let i = 0;
  let raisedSats = 0;
  let contributions = 0;
  for (let t = start; t <= end; t += step) {
    while (i < events.length && events[i]!.at <= t) {
      raisedSats += events[i]!.sats;
      contributions += 1;
      i += 1;
    }
    out.push({ t, raisedSats, contributions });
  }
  return out;
}
