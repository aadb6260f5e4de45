// Crowdfund app settings as `GET /api/v1/apps/crowdfund/{appId}` serves them (CROWDFUND.md b).
// Greenfield serves settings only, never progress; progress.ts recomputes that from invoices.
// Fields the exporter relies on are validated; the rest is optional and unknown keys pass through,
// so a newer BTCPay adding fields does not break the sync.
import { z } from 'zod';
import { Decimal, MoneyParseError, isDecimalString, plain } from '../../../money.js';
import { storedPerks, type CrowdfundAppRecord } from '../../../store/crowdfund.js';
import type { CrowdfundAppRow } from '../../../store/schema.js';

export const RESET_EVERY = ['Never', 'Hour', 'Day', 'Month', 'Year'] as const;
export type ResetEvery = (typeof RESET_EVERY)[number];

/**
 * A JSON number as an exact decimal string. JSON.parse already turned it into a float, so this is
 * exact for every decimal of up to 15 significant digits (the float's shortest round-trip text is
 * the original text). Longer values should come through parseCrowdfundAppJson, which keeps the
 * source token as a string.
 */
export function jsonNumberToDecimalString(n: number): string {
  if (!Number.isFinite(n)) throw new MoneyParseError(`not a finite number: ${String(n)}`);
  return plain(new Decimal(n));
}

const decimalString = z.string().refine(isDecimalString, { error: 'must be a plain decimal string' });

/** A decimal that BTCPay writes as a JSON number (or, via parseCrowdfundAppJson, as its exact text). */
const numericDecimal = z.union([
  z.number().refine(Number.isFinite, { error: 'must be a finite number' }).transform(jsonNumberToDecimalString),
  z
    .string()
    .refine((s) => /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s), { error: 'must be a decimal number' })
    .transform((s) => plain(new Decimal(s))),
]);

const unixSeconds = z.number().int();

/** One perk (`AppItem`): flat, `price` a decimal string or null, `priceType` separate. */
export const appItemSchema = z.looseObject({
  id: z.string(),
  title: z.string().nullish().transform((v) => v ?? ''),
  disabled: z.boolean().nullish().transform((v) => v ?? false),
  description: z.string().nullish(),
  categories: z.array(z.string()).nullish(),
  image: z.string().nullish(),
  priceType: z.string().nullish(),
  // Old templates (v1.12) already used a string; tolerate a number written by another client.
  price: z.union([decimalString, z.number().transform(jsonNumberToDecimalString)]).nullish().transform((v) => v ?? null),
  buyButtonText: z.string().nullish(),
  inventory: z.number().int().nullish(),
  taxRate: z.union([decimalString, z.number().transform(jsonNumberToDecimalString)]).nullish(),
});
export type AppItem = z.output<typeof appItemSchema>;

/** `CrowdfundAppData`: AppBaseData plus the campaign settings. */
export const crowdfundAppSchema = z.looseObject({
  id: z.string().min(1),
  appType: z.string().optional(),
  appName: z.string().nullish(),
  storeId: z.string().min(1),
  archived: z.boolean().nullish().transform((v) => v ?? false),
  created: unixSeconds.nullish(),
  title: z.string().nullish(),
  enabled: z.boolean().nullish().transform((v) => v ?? true),
  enforceTargetAmount: z.boolean().nullish().transform((v) => v ?? false),
  startDate: unixSeconds.nullish().transform((v) => v ?? null),
  endDate: unixSeconds.nullish().transform((v) => v ?? null),
  targetCurrency: z.string().trim().min(1, { error: 'targetCurrency must not be empty' }),
  // BTCPay reports a stored 0 as null ("no target"); treat a 0 that slips through the same way.
  targetAmount: numericDecimal
    .nullish()
    .transform((v) => (v === undefined || v === null || new Decimal(v).isZero() ? null : v)),
  resetEvery: z.enum(RESET_EVERY).nullish().transform((v) => v ?? 'Never'),
  resetEveryAmount: z.number().int().nullish().transform((v) => v ?? 1),
  displayPerksValue: z.boolean().nullish(),
  displayPerksRanking: z.boolean().nullish(),
  sortPerksByPopularity: z.boolean().nullish(),
  perks: z.array(appItemSchema).nullish().transform((v) => v ?? []),
});
export type CrowdfundApp = z.output<typeof crowdfundAppSchema>;

/** The subset of settings the progress computation reads (recompute.ts fills it from the DB). */
export type CrowdfundProgressSettings = Pick<
  CrowdfundApp,
  'targetCurrency' | 'targetAmount' | 'enforceTargetAmount' | 'startDate' | 'endDate' | 'resetEvery' | 'resetEveryAmount'
> & { perks: ReadonlyArray<Pick<AppItem, 'id'>> };

/** The campaign title BTCPay shows: `title`, falling back to the internal app name. */
export function displayTitle(app: CrowdfundApp): string {
  const t = app.title?.trim();
  return t ? t : (app.appName ?? app.id);
}

/**
 * Parses the raw response text of the crowdfund endpoint without losing digits of `targetAmount`
 * (a .NET decimal can carry 28 digits, a float only ~15): the top-level number token is rewritten
 * as a JSON string before JSON.parse, then zod converts it exactly.
 */
export function parseCrowdfundAppJson(text: string): CrowdfundApp {
  return crowdfundAppSchema.parse(JSON.parse(quoteTopLevelNumber(text, 'targetAmount')));
}

/** Wraps the number value of a top-level key in quotes, scanning strings correctly. */
export function quoteTopLevelNumber(text: string, key: string): string {
  let depth = 0;
  let i = 0;
  let lastString: string | null = null;
  let lastStringDepth = -1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      lastString = text.slice(i + 1, j);
      lastStringDepth = depth;
      i = j + 1;
      continue;
    }
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    else if (ch === ':' && depth === 1 && lastStringDepth === 1 && lastString === key) {
      const m = /^\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i + 1));
      if (m) {
        const start = i + 1 + m[0].length - m[1]!.length;
        const end = start + m[1]!.length;
        return `${text.slice(0, start)}"${m[1]}"${text.slice(end)}`;
      }
    } else if (ch === ',') lastString = null;
    i++;
  }
  return text;
}

/** The settings progress.ts needs, from a stored row (recomputing needs no call to BTCPay). */
export function progressSettingsOf(row: CrowdfundAppRow): CrowdfundProgressSettings {
  const resetEvery = (RESET_EVERY as readonly string[]).includes(row.reset_every) ? (row.reset_every as ResetEvery) : 'Never';
  return {
    targetCurrency: row.target_currency,
    targetAmount: row.target_amount,
    enforceTargetAmount: row.enforce_target_amount === 1,
    startDate: row.start_date,
    endDate: row.end_date,
    resetEvery,
    resetEveryAmount: row.reset_every_amount,
    perks: storedPerks(row.perks_json).map((p) => ({ id: p.id })),
  };
}

/** What the store keeps of an app's settings. */
export function crowdfundAppRecord(app: CrowdfundApp): CrowdfundAppRecord {
  return {
    id: app.id,
    storeId: app.storeId,
    title: displayTitle(app),
    appName: app.appName ?? null,
    enabled: app.enabled,
    archived: app.archived,
    targetCurrency: app.targetCurrency,
    targetAmount: app.targetAmount,
    enforceTargetAmount: app.enforceTargetAmount,
    startDate: app.startDate,
    endDate: app.endDate,
    resetEvery: app.resetEvery,
    resetEveryAmount: app.resetEveryAmount,
    perks: app.perks.map((p) => ({
      id: p.id,
      title: p.title,
      disabled: p.disabled,
      priceType: p.priceType ?? null,
      price: p.price,
      inventory: p.inventory ?? null,
    })),
  };
}
