import { describe, expect, it } from 'vitest';
import { fundingEndsAt, lifecycleState, releasedStagesRatio, type LifecycleInput } from '../../../exporter/src/sources/angor/lifecycle.js';

const DAY = 86_400;
const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 1000;

// The contract fixture project: Invest v2, window 2026-05-15..2026-06-30, expiry 2027-03-10.
const invest: LifecycleInput = {
  version: 2,
  type: 'invest',
  startTime: day(2026, 5, 15),
  endTime: day(2026, 6, 30),
  expiryTime: day(2027, 3, 10),
  targetSats: 250_000_000,
  raisedSats: 0,
};

describe('lifecycleState: Invest v2', () => {
  it('is upcoming before the start day, and funding from the first second of it', () => {
    expect(lifecycleState(invest, day(2026, 5, 15) - 1)).toBe('upcoming');
    expect(lifecycleState(invest, day(2026, 5, 15))).toBe('funding');
  });

  it('compares by day: the whole end day is still inside the window', () => {
    const s = { ...invest, endTime: day(2026, 6, 30) + 10 * 3600 }; // end at 10:00 UTC
    expect(lifecycleState(s, day(2026, 6, 30) + 23 * 3600)).toBe('funding');
    expect(lifecycleState(s, day(2026, 7, 1))).toBe('failed');
  });

  it('is target_reached inside the window once raised >= target (exactly at target too)', () => {
    expect(lifecycleState({ ...invest, raisedSats: 249_999_999 }, day(2026, 6, 1))).toBe('funding');
    expect(lifecycleState({ ...invest, raisedSats: 250_000_000 }, day(2026, 6, 1))).toBe('target_reached');
  });

  it('after the window: succeeded when the target was reached, else failed', () => {
    expect(lifecycleState({ ...invest, raisedSats: 263_400_000 }, day(2026, 11, 22))).toBe('succeeded');
    expect(lifecycleState({ ...invest, raisedSats: 100_000_000 }, day(2026, 11, 22))).toBe('failed');
  });

  it('is expired from the expiry day on, whatever it raised', () => {
    expect(lifecycleState({ ...invest, raisedSats: 263_400_000 }, day(2027, 3, 10) - 1)).toBe('succeeded');
    expect(lifecycleState({ ...invest, raisedSats: 263_400_000 }, day(2027, 3, 10) + 5)).toBe('expired');
    expect(lifecycleState({ ...invest, raisedSats: 0 }, day(2027, 3, 10))).toBe('expired');
  });

  it('ends funding at endDate', () => {
    expect(fundingEndsAt(invest)).toBe(day(2026, 6, 30));
  });
});

describe('lifecycleState: v1 legacy (no endDate, startDate ends the window)', () => {
  const v1: LifecycleInput = { ...invest, version: 1, startTime: day(2024, 12, 1), endTime: null, expiryTime: day(2025, 9, 1), targetSats: 50_000_000 };

  it('is never upcoming: before startDate it is taking investments', () => {
    expect(lifecycleState(v1, day(2024, 11, 1))).toBe('funding');
    expect(lifecycleState({ ...v1, raisedSats: 50_000_000 }, day(2024, 11, 1))).toBe('target_reached');
  });

  it('decides after startDate, and ends funding there', () => {
    expect(lifecycleState({ ...v1, raisedSats: 55_000_000 }, day(2024, 12, 2))).toBe('succeeded');
    expect(lifecycleState({ ...v1, raisedSats: 1 }, day(2024, 12, 2))).toBe('failed');
    expect(lifecycleState(v1, day(2025, 9, 1))).toBe('expired');
    expect(fundingEndsAt(v1)).toBe(day(2024, 12, 1));
  });
});

describe('lifecycleState: Fund and Subscribe', () => {
  const fund: LifecycleInput = { version: 2, type: 'fund', startTime: day(2026, 10, 1), endTime: null, expiryTime: day(2027, 4, 1), targetSats: 0, raisedSats: 30_000_000 };

  it('stays funding until expiry (no window, no target), never succeeded or failed', () => {
    expect(lifecycleState(fund, day(2026, 9, 30))).toBe('upcoming');
    expect(lifecycleState(fund, day(2026, 10, 1))).toBe('funding');
    expect(lifecycleState(fund, day(2027, 3, 31))).toBe('funding');
    expect(lifecycleState(fund, day(2027, 4, 1))).toBe('expired');
    expect(fundingEndsAt(fund)).toBe(day(2027, 4, 1));
  });

  it('reports target_reached only when a target is set', () => {
    expect(lifecycleState({ ...fund, targetSats: 20_000_000 }, day(2026, 11, 1))).toBe('target_reached');
    expect(lifecycleState({ ...fund, targetSats: 0, raisedSats: 0 }, day(2026, 11, 1))).toBe('funding');
  });

  it('treats Subscribe the same way', () => {
    const sub: LifecycleInput = { ...fund, type: 'subscribe' };
    expect(lifecycleState(sub, day(2026, 11, 1))).toBe('funding');
    expect(lifecycleState(sub, day(2027, 5, 1))).toBe('expired');
  });
});

describe('releasedStagesRatio', () => {
  const stages = [0, 1, 2, 3].map((i) => ({ amountToRelease: 25, releaseDate: day(2026, 7, 10) + i * 60 * DAY }));

  it('counts a stage as released from its release day on', () => {
    expect(releasedStagesRatio(stages, day(2026, 7, 10) - 1)).toBe(0);
    expect(releasedStagesRatio(stages, day(2026, 7, 10))).toBe(0.25);
    expect(releasedStagesRatio(stages, day(2026, 11, 6))).toBe(0.5); // third stage on 2026-11-07
    expect(releasedStagesRatio(stages, day(2026, 11, 7))).toBe(0.75);
    expect(releasedStagesRatio(stages, day(2030, 1, 1))).toBe(1);
  });

  it('adds decimal percentages without float noise', () => {
    const thirds = [33.3, 33.3, 33.4].map((p, i) => ({ amountToRelease: p, releaseDate: day(2026, 1, 1) + i * DAY }));
    expect(releasedStagesRatio(thirds, day(2026, 1, 2))).toBe(0.666);
    expect(releasedStagesRatio(thirds, day(2026, 1, 3))).toBe(1);
  });

  it('is 0 without stages (Fund/Subscribe) and for a failed project', () => {
    expect(releasedStagesRatio([], day(2026, 11, 22))).toBe(0);
    expect(releasedStagesRatio(stages, day(2030, 1, 1), 'failed')).toBe(0);
  });
});
