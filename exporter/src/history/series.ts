// What every history series shares: step boundaries, the job and instance labels, and the shape
// of a family as history.ts writes it.
import type { Labels } from './openmetrics.js';

export interface HistoryRange {
  /** First and last sample time (both step boundaries), start ≤ end. */
  start: number;
  end: number;
  step: number;
}

export const ceilToStep = (t: number, step: number): number => Math.ceil(t / step) * step;
export const floorToStep = (t: number, step: number): number => Math.floor(t / step) * step;

/** One series: its labels and its samples, one per step boundary of the range (or from a later boundary on). */
export interface SeriesSpec {
  labels: Labels;
  samples: (range: HistoryRange) => Iterable<readonly [number, number]> | AsyncIterable<readonly [number, number]>;
}

export interface FamilySpec {
  name: string;
  help: string;
  series: SeriesSpec[];
}

export const withTarget = (labels: Labels, opts: { job: string; instance: string }): Labels => [
  ...labels,
  ['job', opts.job],
  ['instance', opts.instance],
];
