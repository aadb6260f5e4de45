// The export's parameter parser: times (unix seconds or ISO 8601, inclusive bounds), statuses,
// formats, and the parameter each error names.
import { describe, expect, it } from 'vitest';
import { ExportParameterError, parseExportParameters, parseTimeParameter } from '../../exporter/src/export/parameters.js';

const T = Date.UTC(2025, 0, 31, 12, 0, 0) / 1000;

describe('time parameters', () => {
  it('reads unix seconds and ISO 8601 in UTC or with an offset', () => {
    expect(parseTimeParameter(String(T), 'from')).toBe(T);
    expect(parseTimeParameter('2025-01-31T12:00:00Z', 'from')).toBe(T);
    expect(parseTimeParameter('2025-01-31t12:00:00z', 'to')).toBe(T);
    expect(parseTimeParameter('2025-01-31T12:00', 'from')).toBe(T);
    expect(parseTimeParameter('2025-01-31 12:00:00', 'from')).toBe(T);
    expect(parseTimeParameter('2025-01-31T14:00:00+02:00', 'from')).toBe(T);
    expect(parseTimeParameter('2025-01-31T07:30:00-0430', 'from')).toBe(T);
    expect(parseTimeParameter('2025-01-31T13:00:00+01', 'from')).toBe(T);
  });

  it('keeps bounds inclusive: a date alone as `to` is its whole day, fractions round inwards', () => {
    const day = Date.UTC(2025, 0, 31) / 1000;
    expect(parseTimeParameter('2025-01-31', 'from')).toBe(day);
    expect(parseTimeParameter('2025-01-31', 'to')).toBe(day + 86_399);
    expect(parseTimeParameter('2025-01-31T12:00:00.250Z', 'from')).toBe(T + 1);
    expect(parseTimeParameter('2025-01-31T12:00:00.250Z', 'to')).toBe(T);
    expect(parseTimeParameter('2025-01-31T12:00:00.000Z', 'from')).toBe(T);
  });

  it('refuses what is not a real time', () => {
    for (const bad of ['yesterday', '2025-02-30', '2025-13-01', '2025-01-31T24:00:00Z', '2025-01-31T12:60Z', '2025-01-31T12:00:00+25:00', '-5', '1.5', '2025-1-5', '']) {
      expect(parseTimeParameter(bad, 'from'), bad).toBeUndefined();
    }
  });
});

describe('parseExportParameters', () => {
  const error = (input: Record<string, unknown>) => {
    try {
      parseExportParameters(input);
    } catch (err) {
      if (err instanceof ExportParameterError) return err.parameter;
      throw err;
    }
    return undefined;
  };

  it('defaults to JSON and no filter; statuses are case-insensitive, repeatable and comma-separated', () => {
    expect(parseExportParameters({})).toEqual({ format: 'json', filters: {} });
    expect(parseExportParameters({}, 'csv').format).toBe('csv');
    expect(parseExportParameters({ format: 'NDJSON' }, 'csv').format).toBe('ndjson');
    expect(parseExportParameters({ status: ['settled', 'Expired,invalid', 'Settled'] }).filters.statuses).toEqual(['Settled', 'Expired', 'Invalid']);
    expect(parseExportParameters({ raised: 'FALSE', store: 'S1', from: '10', to: '10' }).filters).toEqual({ raised: false, store: 'S1', from: 10, to: 10 });
  });

  it('names the parameter that is wrong', () => {
    expect(error({ format: 'xlsx' })).toBe('format');
    expect(error({ status: 'Paid' })).toBe('status');
    expect(error({ raised: '1' })).toBe('raised');
    expect(error({ store: ['a', 'b'] })).toBe('store');
    expect(error({ from: 'soon' })).toBe('from');
    expect(error({ from: '20', to: '10' })).toBe('to');
    expect(error({ sort: 'asc' })).toBe('sort');
    expect(error({ store: { nested: 'object' } })).toBe('store');
  });
});
