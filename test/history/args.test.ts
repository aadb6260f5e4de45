// The history command's flags: durations, times, and the checks between them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseDuration, parseHistoryArgs, parseTime } from '../../exporter/src/history/args.js';
import { DEFAULT_INSTANCE, DEFAULT_JOB } from '../../exporter/src/history/defaults.js';
import { PROJECT_ROOT } from '../../exporter/src/version.js';

const NOW = 1_750_000_000; // 2025-06-15T15:06:40Z
const base = { out: 'h.om', step: '1h', job: 'crowdfund-exporter', instance: 'exporter:9861' };
const error = (raw: Record<string, unknown>) => {
  try {
    parseHistoryArgs(raw, NOW);
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
};

describe('history flags', () => {
  it('reads durations as a whole number and a unit', () => {
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('1d')).toBe(86400);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('2w')).toBe(14 * 86400);
    for (const bad of ['', 'h', '1', '1.5h', '0h', '-1h', '1 h h', '1y', '1H']) expect(parseDuration(bad), bad).toBeUndefined();
  });

  it('reads times as unix seconds or ISO 8601, UTC when no offset is given', () => {
    expect(parseTime('1735689600')).toBe(1_735_689_600);
    expect(parseTime('2025-01-01')).toBe(1_735_689_600);
    expect(parseTime('2025-01-01T00:00:00Z')).toBe(1_735_689_600);
    expect(parseTime('2025-01-01T00:00:00')).toBe(1_735_689_600);
    expect(parseTime('2025-01-01T02:00+02:00')).toBe(1_735_689_600);
    expect(parseTime('2025-01-01T00:00:00.500Z')).toBe(1_735_689_600.5);
    for (const bad of ['yesterday', '2025-13-01', '01/02/2025', '2025-01-01T25:00:00Z', '']) expect(parseTime(bad), bad).toBeUndefined();
  });

  it('defaults --until to the last step boundary at least 3 hours ago', () => {
    expect(parseHistoryArgs(base, NOW)).toMatchObject({ step: 3600, until: Math.floor((NOW - 3 * 3600) / 3600) * 3600, untilDefaulted: true });
    expect(parseHistoryArgs({ ...base, step: '1d' }, NOW).until).toBe(Math.floor((NOW - 3 * 3600) / 86400) * 86400);
    expect(parseHistoryArgs({ ...base, until: '2025-06-01', from: '1748000000' }, NOW)).toMatchObject({ until: 1_748_736_000, from: 1_748_000_000, untilDefaulted: false });
  });

  it('names the flag and the problem in one sentence', () => {
    expect(error({ ...base, step: 'hourly' })).toMatch(/^--step: "hourly" is not a duration/);
    expect(error({ ...base, from: 'yesterday' })).toMatch(/^--from: "yesterday" is neither unix seconds nor an ISO 8601/);
    expect(error({ ...base, until: 'soon' })).toMatch(/^--until: "soon" is neither/);
    expect(error({ ...base, until: String(NOW + 1) })).toBe('--until 2025-06-15T15:06:41Z is in the future (now is 2025-06-15T15:06:40Z)');
    expect(error({ ...base, from: '2025-03-01', until: '2025-02-01' })).toBe('--until 2025-02-01T00:00:00Z is before --from 2025-03-01T00:00:00Z');
    expect(error({ ...base, from: String(NOW - 3600) })).toMatch(/^--from 2025-06-15T14:06:40Z is after the default --until 2025-06-15T12:00:00Z/);
    expect(error({ ...base, job: ' ' })).toBe('--job must not be empty');
    expect(error({ ...base, waitForSync: 'a while' })).toMatch(/^--wait-for-sync: "a while" is not a whole number of seconds/);
    // --until equal to --from, or to now, is fine (both inclusive).
    expect(error({ ...base, from: '1749000000', until: '1749000000' })).toBeUndefined();
    expect(error({ ...base, until: String(NOW) })).toBeUndefined();
  });
});

describe('history defaults', () => {
  it('--job and --instance default to the compose scrape job and target, so history and scrapes are one series', () => {
    const config = parse(readFileSync(join(PROJECT_ROOT, 'prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const job = config.scrape_configs.find((j) => j.job_name === DEFAULT_JOB);
    expect(job?.static_configs.flatMap((c) => c.targets)).toEqual([DEFAULT_INSTANCE]);
  });
});
