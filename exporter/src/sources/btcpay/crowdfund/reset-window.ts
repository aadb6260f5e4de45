// The reset window of a crowdfund goal (CROWDFUND.md c2), as a pure function of the settings and
// `now`. BTCPay walks boundaries from startDate, each one added to the PREVIOUS boundary with .NET
// AddHours/AddDays/AddMonths/AddYears in UTC; month and year steps clamp to the month's last day,
// so the day of month can drift down (Jan 31 → Feb 28 → Mar 28) and never comes back.
import type { ResetEvery } from './settings.js';

export interface ResetWindow {
  /** BTCPay's lastResetDate: invoices created at or after it count (no upper bound). */
  start: number;
  /** BTCPay's nextResetDate. Equal to `start` while now < startDate. */
  next: number;
}

export interface ResetSettings {
  startDate: number | null;
  resetEvery: ResetEvery;
  resetEveryAmount: number;
}

const HOUR = 3600;
const DAY = 86_400;

/**
 * The current window, or null when the goal never resets (resetEvery Never, or no startDate, which
 * BTCPay treats as Never). A resetEveryAmount below 1 would make BTCPay loop forever; we treat it
 * as "no reset" instead of hanging.
 */
export function resetWindow(settings: ResetSettings, now: number): ResetWindow | null {
  const { startDate, resetEvery, resetEveryAmount: n } = settings;
  if (resetEvery === 'Never' || startDate === null || !Number.isInteger(n) || n < 1) return null;
  if (now < startDate) return { start: startDate, next: startDate };
  if (resetEvery === 'Hour' || resetEvery === 'Day') {
    // Hours and days have a fixed length in UTC, so the walk has a closed form.
    const step = n * (resetEvery === 'Hour' ? HOUR : DAY);
    const start = startDate + Math.floor((now - startDate) / step) * step;
    return { start, next: start + step };
  }
  const months = resetEvery === 'Month' ? n : 12 * n;
  let last = startDate;
  let next = addMonthsUtc(last, months);
  while (now >= next) {
    last = next;
    next = addMonthsUtc(last, months);
  }
  return { start: last, next };
}

/** .NET DateTime.AddMonths in UTC: same time of day, day clamped to the target month's length. */
export function addMonthsUtc(unixSeconds: number, months: number): number {
  const days = Math.floor(unixSeconds / DAY);
  const timeOfDay = unixSeconds - days * DAY;
  const d = new Date(days * DAY * 1000);
  const monthIndex = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12; // 0-based
  const day = Math.min(d.getUTCDate(), daysInMonth(year, month));
  const target = new Date(0);
  target.setUTCFullYear(year, month, day);
  return Math.floor(target.getTime() / 1000 / DAY) * DAY + timeOfDay;
}

function daysInMonth(year: number, month0: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month0 + 1, 0); // day 0 of the next month = last day of this one
  return d.getUTCDate();
}
