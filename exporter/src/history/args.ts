// The history command's flags, parsed with zod: a step duration, times as unix seconds or ISO 8601,
// and the checks between them. Every error is one sentence naming the flag.
import { z } from 'zod';
import { DEFAULT_UNTIL_AGE_SECONDS } from './defaults.js';
import { floorToStep } from './series.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 };

/** "15m", "1h", "1d", "90s", "2w" → seconds; undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)([smhdw])$/.exec(text.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * UNITS[m[2]!]!;
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Unix seconds ("1735689600") or ISO 8601 ("2025-01-01", "2025-01-01T12:00:00Z",
 * "2025-01-01T12:00+02:00"); a date or time without an offset is UTC. Undefined when it is neither.
 */
export function parseTime(text: string): number | undefined {
  const s = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s);
  const m = ISO_RE.exec(s);
  if (!m) return undefined;
  // A date alone is UTC in Date.parse already; a date-time without an offset would be local time.
  const withZone = s.length > 10 && m[1] === undefined ? `${s}Z` : s;
  const ms = Date.parse(withZone.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

const nonEmpty = (flag: string) => z.string().trim().min(1, { error: `${flag} must not be empty` });

const durationArg = z.string().transform((v, ctx) => {
  const seconds = parseDuration(v);
  if (seconds === undefined) {
    ctx.addIssue({ code: 'custom', message: `--step: "${v}" is not a duration (a whole number and a unit s, m, h, d or w, e.g. 15m, 1h, 1d)` });
    return z.NEVER;
  }
  return seconds;
});

const timeArg = (flag: string) =>
  z.string().transform((v, ctx) => {
    const t = parseTime(v);
    if (t === undefined) {
      ctx.addIssue({ code: 'custom', message: `${flag}: "${v}" is neither unix seconds nor an ISO 8601 date or time (e.g. 2025-01-31T00:00:00Z)` });
      return z.NEVER;
    }
    return t;
  });

const secondsArg = z.string().transform((v, ctx) => {
  if (!/^\d+$/.test(v.trim())) {
    ctx.addIssue({ code: 'custom', message: `--wait-for-sync: "${v}" is not a whole number of seconds` });
    return z.NEVER;
  }
  return Number(v);
});

const rawSchema = z.object({
  out: nonEmpty('--out'),
  step: durationArg,
  from: timeArg('--from').optional(),
  until: timeArg('--until').optional(),
  job: nonEmpty('--job'),
  instance: nonEmpty('--instance'),
  waitForSync: secondsArg.optional(),
});

export interface HistoryArgs {
  out: string;
  step: number;
  from: number | undefined;
  /** Resolved: the given --until, or the last step boundary at least 3 hours before now. */
  until: number;
  untilDefaulted: boolean;
  job: string;
  instance: string;
  waitForSyncSeconds: number | undefined;
}

export class HistoryArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryArgsError';
  }
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/** Parses the flags commander collected (strings); throws HistoryArgsError with one sentence. */
export function parseHistoryArgs(raw: Record<string, unknown>, now: number): HistoryArgs {
  const parsed = rawSchema.safeParse(raw);
  if (!parsed.success) throw new HistoryArgsError(parsed.error.issues[0]!.message);
  const o = parsed.data;
  if (o.until !== undefined && o.until > now) {
    throw new HistoryArgsError(`--until ${iso(o.until)} is in the future (now is ${iso(now)})`);
  }
  if (o.until !== undefined && o.from !== undefined && o.until < o.from) {
    throw new HistoryArgsError(`--until ${iso(o.until)} is before --from ${iso(o.from)}`);
  }
  const until = o.until ?? floorToStep(now - DEFAULT_UNTIL_AGE_SECONDS, o.step);
  if (o.from !== undefined && o.from > until) {
    // Only reachable with the default --until: an explicit one was checked above.
    throw new HistoryArgsError(`--from ${iso(o.from)} is after the default --until ${iso(until)} (the last ${o.step} s boundary at least 3 hours ago)`);
  }
  return {
    out: o.out,
    step: o.step,
    from: o.from,
    until,
    untilDefaulted: o.until === undefined,
    job: o.job,
    instance: o.instance,
    waitForSyncSeconds: o.waitForSync,
  };
}
