// The simulator's own crowdfund computation: the "ground truth" integration tests compare the
// exporter's figures with. It is written independently of sources/btcpay/crowdfund/progress.ts, on purpose
// in a different style (BigInt fixed-point decimals, BTCPay's reset loop step by step, raw
// Greenfield-shaped JSON, attribution by search term), straight from CROWDFUND.md c1–c4, so a
// misreading in one is unlikely to be repeated in the other. Do not import progress.ts here.

/** An invoice as the simulator serves it (Greenfield InvoiceData with includePaymentMethods). */
export interface RefInvoice {
  id: string;
  status: string;
  additionalStatus: string;
  currency: string;
  amount: string;
  createdTime: number;
  expirationTime: number;
  metadata?: Record<string, unknown> | null;
  paymentMethods?: ReadonlyArray<{
    paymentMethodId: string;
    currency: string;
    rate: string;
    payments: ReadonlyArray<{ value: string; fee: string; status: string; receivedDate: number }>;
  }> | null;
  /** Extra search terms given at creation (`crowdfund-app_<appId>` for app contributions). */
  additionalSearchTerms?: readonly string[];
}

/** CrowdfundAppData as the simulator serves it (targetAmount a JSON number, or null). */
export interface RefApp {
  id: string;
  targetCurrency: string;
  targetAmount: number | string | null;
  enforceTargetAmount: boolean;
  startDate: number | null;
  endDate: number | null;
  resetEvery: string;
  resetEveryAmount: number;
  perks: ReadonlyArray<{ id: string }>;
}

export interface RefOptions {
  now: number;
  /** The app's "count all invoices created on the store" option (TagAllInvoices). */
  countAllStoreInvoices?: boolean;
  /** Every indexed search term of an invoice; defaults to its additionalSearchTerms. */
  searchTerms?: (invoice: RefInvoice) => readonly string[];
  /**
   * BTCPay's internal tags of an invoice (`APP#<appId>`). When given, normal mode also requires the
   * app's tag, as BTCPay does for every invoice created since tags exist (entity Version >= 1).
   * Without it, the search term alone decides (what a Greenfield client can see).
   */
  internalTags?: (invoice: RefInvoice) => readonly string[];
}

export interface RefProgress {
  lastResetDate: number | null;
  nextResetDate: number | null;
  currentAmount: string;
  currentPendingAmount: string;
  raised: string;
  progressPercentage: string | null;
  pendingProgressPercentage: string | null;
  totalContributors: number;
  perkCount: Record<string, number>;
  raisedSats: number;
}

// ---------------------------------------------------------------------------------------------
// .NET System.Decimal in BigInt: value = m / 10^s, |m| < 2^96, 0 <= s <= 28, results rounded
// half-to-even to the finest scale that fits (the behaviour of DecCalc's ScaleResult).

interface Dec {
  m: bigint;
  s: number;
}

const LIMIT = 1n << 96n;
const pow10 = (n: number): bigint => 10n ** BigInt(n);

function roundHalfEven(num: bigint, den: bigint): bigint {
  // den > 0
  let q = num / den;
  let r = num % den;
  if (r < 0n) {
    q -= 1n;
    r += den;
  }
  const twice = 2n * r;
  if (twice > den || (twice === den && (q & 1n) === 1n)) q += 1n;
  return q;
}

function fromRatio(num: bigint, den: bigint): Dec {
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  for (let s = 28; s >= 0; s--) {
    const m = roundHalfEven(num * pow10(s), den);
    if ((m < 0n ? -m : m) < LIMIT) return { m, s };
  }
  throw new Error('decimal overflow');
}

function dec(text: string): Dec {
  // An exponent only appears when a JSON number target is printed by String().
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  const frac = match[3] ?? '';
  const m = BigInt(match[2]! + frac) * (match[1] === '-' ? -1n : 1n);
  const scale = frac.length - Number(match[4] ?? '0');
  return scale >= 0 ? fromRatio(m, pow10(scale)) : fromRatio(m * pow10(-scale), 1n);
}

function add(a: Dec, b: Dec): Dec {
  const s = Math.max(a.s, b.s);
  return fromRatio(a.m * pow10(s - a.s) + b.m * pow10(s - b.s), pow10(s));
}
function sub(a: Dec, b: Dec): Dec {
  return add(a, { m: -b.m, s: b.s });
}
function mul(a: Dec, b: Dec): Dec {
  return fromRatio(a.m * b.m, pow10(a.s + b.s));
}
function div(a: Dec, b: Dec): Dec {
  if (b.m === 0n) throw new Error('division by zero');
  return fromRatio(a.m * pow10(b.s), b.m * pow10(a.s));
}

function show(d: Dec): string {
  if (d.m === 0n) return '0';
  const neg = d.m < 0n;
  const digits = (neg ? -d.m : d.m).toString().padStart(d.s + 1, '0');
  let whole = digits.slice(0, digits.length - d.s);
  let frac = digits.slice(digits.length - d.s).replace(/0+$/, '');
  whole = whole.replace(/^0+(?=\d)/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

const ZERO: Dec = { m: 0n, s: 0 };

// ---------------------------------------------------------------------------------------------
// Reset window: BTCPay's loop, one boundary at a time, each added to the previous one.

function addPeriod(unix: number, unit: string, amount: number): number {
  if (unit === 'Hour') return unix + amount * 3600;
  if (unit === 'Day') return unix + amount * 86400;
  const months = unit === 'Month' ? amount : amount * 12;
  const d = new Date(unix * 1000);
  const total = d.getUTCMonth() + months;
  const year = d.getUTCFullYear() + Math.floor(total / 12);
  const month = ((total % 12) + 12) % 12;
  const lastDay = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month]!;
  const day = Math.min(d.getUTCDate(), lastDay);
  const t = new Date(0);
  t.setUTCFullYear(year, month, day);
  t.setUTCHours(d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), 0);
  return Math.floor(t.getTime() / 1000);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function window(app: RefApp, now: number): { last: number; next: number } | null {
  if (app.startDate === null || app.resetEvery === 'Never') return null;
  if (!(app.resetEveryAmount >= 1)) return null; // BTCPay would loop forever
  let last = app.startDate;
  let next = app.startDate;
  while (now >= next) {
    last = next;
    next = addPeriod(last, app.resetEvery, app.resetEveryAmount);
  }
  return { last, next };
}

// ---------------------------------------------------------------------------------------------

export function referenceCrowdfundProgress(app: RefApp, storeInvoices: readonly RefInvoice[], opts: RefOptions): RefProgress {
  const w = window(app, opts.now);
  const termsOf = opts.searchTerms ?? ((inv: RefInvoice) => inv.additionalSearchTerms ?? []);
  const marker = `crowdfund-app_${app.id}`;

  const invoices: RefInvoice[] = [];
  for (const inv of storeInvoices) {
    if (!opts.countAllStoreInvoices) {
      if (!termsOf(inv).some((t) => t.startsWith(marker))) continue;
      if (opts.internalTags && !opts.internalTags(inv).includes(`APP#${app.id}`)) continue;
    }
    if (w !== null && inv.createdTime < w.last) continue;
    invoices.push(inv);
  }

  let totalSettled = ZERO;
  let totalProcessing = ZERO;
  let btcUnits = 0n; // BTC in 1e-20 units
  for (const inv of invoices) {
    if (inv.currency.toLowerCase() !== app.targetCurrency.toLowerCase()) continue;
    const price = dec(inv.amount === '' ? '0' : inv.amount);
    if (app.enforceTargetAmount && inv.status === 'New') {
      totalProcessing = add(totalProcessing, price);
      continue;
    }
    const markedSettled = inv.status === 'Settled' && inv.additionalStatus === 'Marked';
    let accountedCount = 0;
    for (const pm of inv.paymentMethods ?? []) {
      for (const p of pm.payments) if (p.status !== 'Invalid') accountedCount++;
    }
    if (accountedCount === 0 && markedSettled) {
      totalSettled = add(totalSettled, price);
      continue;
    }
    if (inv.status === 'Invalid' && inv.additionalStatus === 'Marked') continue;
    for (const pm of inv.paymentMethods ?? []) {
      for (const p of pm.payments) {
        if (p.status === 'Invalid') continue;
        if (p.receivedDate > inv.expirationTime && !markedSettled) continue;
        const netPaid = mul(sub(dec(p.value), dec(p.fee)), dec(pm.rate));
        if (p.status === 'Settled') totalSettled = add(totalSettled, netPaid);
        else if (p.status === 'Processing') totalProcessing = add(totalProcessing, netPaid);
        else continue;
        if (pm.currency.toLowerCase() === 'btc') btcUnits += toUnits20(p.value) - toUnits20(p.fee);
      }
    }
  }

  let contributors = 0;
  const perkCount: Record<string, number> = Object.fromEntries(app.perks.map((p) => [p.id, 0]));
  for (const inv of invoices) {
    if (inv.status !== 'Settled' && inv.status !== 'Processing') continue;
    contributors++;
    const code = inv.metadata?.['itemCode'];
    if (typeof code === 'string' && code !== '') perkCount[code] = (perkCount[code] ?? 0) + 1;
  }

  const target = app.targetAmount === null ? null : dec(String(app.targetAmount));
  const pct = (x: Dec): string | null => (target === null || target.m === 0n ? null : show(mul(div(x, target), dec('100'))));
  return {
    lastResetDate: w?.last ?? null,
    nextResetDate: w?.next ?? null,
    currentAmount: show(totalSettled),
    currentPendingAmount: show(totalProcessing),
    raised: show(add(totalSettled, totalProcessing)),
    progressPercentage: pct(totalSettled),
    pendingProgressPercentage: pct(totalProcessing),
    totalContributors: contributors,
    perkCount,
    raisedSats: Number(floorDiv(btcUnits, 1_000_000_000_000n)),
  };
}

/** Floor division (BigInt `/` truncates toward zero; a fee larger than a dust payment goes negative). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

function toUnits20(text: string): bigint {
  const [whole, frac = ''] = text.split('.');
  return BigInt(whole!) * 10n ** 20n + BigInt(frac.padEnd(20, '0').slice(0, 20));
}
