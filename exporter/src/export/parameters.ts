// The invoice export's parameters, parsed once for both doors: GET /api/invoices (query string)
// and `crowdfund-exporter export` (command-line options). A bad value names its parameter.
import { z } from 'zod';
import { INVOICE_STATUSES, type InvoiceStatus } from '../store/schema.js';

export const EXPORT_FORMATS = ['csv', 'json', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface InvoiceFilters {
  /** Store id, as in the `store` label. */
  store?: string;
  /** Any of these statuses (empty or absent: all). */
  statuses?: InvoiceStatus[];
  /** Creation time from, unix seconds, inclusive. */
  from?: number;
  /** Creation time to, unix seconds, inclusive. */
  to?: number;
  /** Only invoices that count as raised (true) or only those that do not (false). */
  raised?: boolean;
}

export interface ExportRequest {
  format: ExportFormat;
  filters: InvoiceFilters;
}

/** A parameter the caller got wrong; `parameter` is its name (`status`, `from`, ...). */
export class ExportParameterError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
    this.name = 'ExportParameterError';
  }
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * A point in time as unix seconds: an integer (unix seconds) or ISO 8601 (`2025-01-31`,
 * `2025-01-31T12:00:00Z`, `2025-01-31T12:00+02:00`; without an offset it is UTC). `to` is inclusive,
 * so a date alone as `to` means the end of that day, and fractions of a second round inwards.
 */
export function parseTimeParameter(value: string, bound: 'from' | 'to'): number | undefined {
  const v = value.trim();
  if (/^\d{1,12}$/.test(v)) return Number(v);
  const m = ISO_8601.exec(v);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)] as const;
  const ms = Date.UTC(...fields);
  const check = new Date(ms);
  // Date.UTC rolls 2025-02-30 over to March: a date that does not exist is an error.
  if (
    check.getUTCFullYear() !== fields[0] ||
    check.getUTCMonth() !== fields[1] ||
    check.getUTCDate() !== fields[2] ||
    fields[3] > 23 ||
    fields[4] > 59 ||
    fields[5] > 59
  ) {
    return undefined;
  }
  let offset = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const hours = Number(z[2]);
    const minutes = Number(z[3] ?? 0);
    if (hours > 23 || minutes > 59) return undefined;
    offset = (z[1] === '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
  }
  let seconds = ms / 1000 - offset;
  if (h === undefined && bound === 'to') seconds += 86_399;
  if (frac !== undefined && Number(frac) > 0 && bound === 'from') seconds += 1;
  return seconds;
}

type Raw = string | string[] | undefined;
const raw = z.union([z.string(), z.array(z.string())]).optional();

/** One value at most; a parameter given twice is an error rather than a silent choice. */
function single() {
  return raw.transform((v, ctx): string | undefined => {
    if (Array.isArray(v)) {
      if (v.length > 1) {
        ctx.addIssue({ code: 'custom', message: `may be given once (got ${v.length} values)` });
        return z.NEVER;
      }
      v = v[0];
    }
    if (v !== undefined && v.trim() === '') {
      ctx.addIssue({ code: 'custom', message: `must not be empty` });
      return z.NEVER;
    }
    return v;
  });
}

const time = (bound: 'from' | 'to') =>
  single().transform((v, ctx) => {
    if (v === undefined) return undefined;
    const t = parseTimeParameter(v, bound);
    if (t === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be unix seconds or an ISO 8601 date/time such as 2025-01-31 or 2025-01-31T12:00:00Z (got "${v}")` });
      return z.NEVER;
    }
    return t;
  });

const shape = {
  format: single().transform((v, ctx): ExportFormat | undefined => {
    if (v === undefined) return undefined;
    const f = v.trim().toLowerCase();
    if (!(EXPORT_FORMATS as readonly string[]).includes(f)) {
      ctx.addIssue({ code: 'custom', message: `must be one of ${EXPORT_FORMATS.join(', ')} (got "${v}")` });
      return z.NEVER;
    }
    return f as ExportFormat;
  }),
  store: single(),
  status: raw.transform((v, ctx): InvoiceStatus[] | undefined => {
    if (v === undefined) return undefined;
    const out: InvoiceStatus[] = [];
    for (const item of (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(','))) {
      const s = INVOICE_STATUSES.find((x) => x.toLowerCase() === item.trim().toLowerCase());
      if (!s) {
        ctx.addIssue({ code: 'custom', message: `must be one of ${INVOICE_STATUSES.join(', ')} (got "${item}")` });
        return z.NEVER;
      }
      if (!out.includes(s)) out.push(s);
    }
    return out;
  }),
  from: time('from'),
  to: time('to'),
  raised: single().transform((v, ctx) => {
    if (v === undefined) return undefined;
    const s = v.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
    ctx.addIssue({ code: 'custom', message: `must be true or false (got "${v}")` });
    return z.NEVER;
  }),
};
const parametersSchema = z.strictObject(shape).superRefine((p, ctx) => {
  if (p.from !== undefined && p.to !== undefined && p.from > p.to) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'is before from' });
  }
});

/**
 * Parses the parameters (query string values or CLI options: a string, or a list for repeated
 * ones). `defaultFormat` applies when `format` is absent (the HTTP route derives it from Accept).
 * Throws ExportParameterError naming the first bad parameter, unknown ones included.
 */
export function parseExportParameters(input: Record<string, Raw | unknown>, defaultFormat: ExportFormat = 'json'): ExportRequest {
  const parsed = parametersSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? 'parameter';
      throw new ExportParameterError(key, `unknown parameter (known: ${Object.keys(shape).join(', ')})`);
    }
    const name = String(issue.path[0] ?? 'parameters');
    const message = issue.code === 'invalid_union' || issue.code === 'invalid_type' ? 'must be a string' : issue.message;
    throw new ExportParameterError(name, message);
  }
  const p = parsed.data;
  const filters: InvoiceFilters = {};
  if (p.store !== undefined) filters.store = p.store;
  if (p.status !== undefined && p.status.length > 0) filters.statuses = p.status;
  if (p.from !== undefined) filters.from = p.from;
  if (p.to !== undefined) filters.to = p.to;
  if (p.raised !== undefined) filters.raised = p.raised;
  return { format: p.format ?? defaultFormat, filters };
}
