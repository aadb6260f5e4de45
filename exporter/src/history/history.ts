// The history of the BTCPay series (and, in crowdfund.ts, two Crowdfund-app series), rebuilt
// from the store for backfilling Prometheus (docs/history.md). The rule: an invoice that counts
// as raised now counts from its raise time (the latest received_date of its accounted payments,
// of any payment method; its creation time when it has none, e.g. marked settled), so the value
// at t sums the invoices raised by t, with the live collectors' own figures per invoice
// (btc_paid_sats, the price in its currency).
//
// Output: one family after the other, one series after the other, one sample per step boundary.
// Each series is one pass over its rows in raise-time order (an index or SQLite's sorter), folded
// into a running value that is written at every boundary: memory is flat in the number of invoices.
import type BetterSqlite3 from 'better-sqlite3';
import { BTCPAY_METRICS } from '../metrics/btcpay-collector.js';
import { Decimal, parseDecimal, plain } from '../money.js';
import { BufferedWriter, EOF_LINE, familyHeader, formatLabels, formatValue } from './openmetrics.js';
import { crowdfundFamilies } from './crowdfund.js';
import { HistoryReader, type RaisedInvoice } from './reader.js';
import { ceilToStep, floorToStep, withTarget, type FamilySpec, type HistoryRange, type SeriesSpec } from './series.js';


export interface HistoryOptions {
  /** Seconds between samples; samples sit at multiples of it since the unix epoch. */
  step: number;
  /** Unix seconds, inclusive: no sample before it. */
  from?: number;
  /** Unix seconds, inclusive: no sample after it. */
  until: number;
  /** `job` and `instance` labels of every series: those of the scrape job, so history and scrapes form one series. */
  job: string;
  instance: string;
}

export interface HistorySummary {
  range: HistoryRange | undefined;
  /** Why nothing was written: no invoice at all, or no step boundary between the first invoice (or --from) and --until. */
  empty: 'no-invoices' | 'no-steps' | undefined;
  families: string[];
  series: number;
  samples: number;
}

/** The step boundaries from the first invoice (or --from, if later) to --until; undefined when there are none. */
export function historyRange(earliestInvoice: number, opts: Pick<HistoryOptions, 'step' | 'from' | 'until'>): HistoryRange | undefined {
  const start = ceilToStep(Math.max(earliestInvoice, opts.from ?? -Infinity), opts.step);
  const end = floorToStep(opts.until, opts.step);
  return start <= end ? { start, end, step: opts.step } : undefined;
}

/** The running value of time-ordered rows at every boundary: one pass, the statement freed at the end. */
function* folded<E extends { at: number }>(
  rows: IterableIterator<E>,
  fold: { add(row: E): void; value(): number },
  range: HistoryRange,
  fromFirstRow = false,
): Generator<readonly [number, number]> {
  let seen = false;
  try {
    let next = rows.next();
    for (let t = range.start; t <= range.end; t += range.step) {
      while (!next.done && next.value.at <= t) {
        fold.add(next.value);
        seen = true;
        next = rows.next();
      }
      // The live series appears with its first row (btcpay_raised_amount), so does this one.
      if (fromFirstRow && !seen) continue;
      yield [t, fold.value()];
    }
  } finally {
    rows.return?.(); // frees the statement when rows after the last boundary were left unread
  }
}

async function writeSeries(w: BufferedWriter, name: string, s: SeriesSpec, range: HistoryRange): Promise<number> {
  const prefix = `${name}${formatLabels(s.labels)} `;
  let samples = 0;
  for await (const [t, v] of s.samples(range)) {
    await w.write(`${prefix}${formatValue(v)} ${t}\n`);
    samples += 1;
  }
  return samples;
}

const sum = () => {
  let v = 0;
  return { add: (n: number) => (v += n), value: () => v };
};

function btcpayFamilies(reader: HistoryReader, opts: HistoryOptions): FamilySpec[] {
  const m = BTCPAY_METRICS;
  const stores = reader.stores();
  const storeLabels = (store: string) => withTarget([['store', store]], opts);
  return [
    {
      ...m.raisedSats,
      series: stores.map((store) => ({
        labels: storeLabels(store),
        samples: (range) => {
          const s = sum();
          return folded(reader.raised(store, opts.until), { add: (r) => s.add(r.sats), value: s.value }, range);
        },
      })),
    },
    {
      ...m.contributions,
      series: stores.map((store) => ({
        labels: storeLabels(store),
        samples: (range) => {
          const s = sum();
          return folded(reader.raised(store, opts.until), { add: () => s.add(1), value: s.value }, range);
        },
      })),
    },
    {
      ...m.raisedAmount,
      series: stores.flatMap((store) =>
        reader.raisedCurrencies(store).map(
          (currency): SeriesSpec => ({
            labels: withTarget([['store', store], ['currency', currency]], opts),
            samples: (range) => {
              let total = new Decimal(0);
              // The exact sum, then the float the live collector makes of it (Number of the decimal string).
              const fold = { add: (r: RaisedInvoice) => (total = total.plus(parseDecimal(r.amount ?? '0'))), value: () => Number(plain(total)) };
              return folded(reader.raised(store, opts.until, currency), fold, range, true);
            },
          }),
        ),
      ),
    },
    {
      ...m.lastCreated,
      series: stores.map((store) => ({
        labels: storeLabels(store),
        samples: (range) => {
          let last = 0;
          return folded(reader.created(store, opts.until), { add: (r) => (last = r.at), value: () => last }, range);
        },
      })),
    },
  ];
}

/** Writes the whole history, ending with `# EOF`, through `w` (which the caller ends). */
export async function writeHistory(sqlite: BetterSqlite3.Database, w: BufferedWriter, opts: HistoryOptions): Promise<HistorySummary> {
  const reader = new HistoryReader(sqlite);
  const earliest = reader.earliestInvoice();
  const range = earliest === undefined ? undefined : historyRange(earliest, opts);
  const summary: HistorySummary = {
    range,
    empty: earliest === undefined ? 'no-invoices' : range === undefined ? 'no-steps' : undefined,
    families: [],
    series: 0,
    samples: 0,
  };
  if (range) {
    for (const family of [...btcpayFamilies(reader, opts), ...crowdfundFamilies(sqlite, opts)]) {
      if (family.series.length === 0) continue;
      await w.write(familyHeader(family.name, 'gauge', family.help));
      summary.families.push(family.name);
      for (const s of family.series) {
        const n = await writeSeries(w, family.name, s, range);
        if (n > 0) summary.series += 1;
        summary.samples += n;
      }
    }
  }
  await w.write(EOF_LINE);
  return summary;
}
