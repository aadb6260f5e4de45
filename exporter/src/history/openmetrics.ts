// OpenMetrics text with timestamps, for `promtool tsdb create-blocks-from openmetrics`: metric
// families one after the other (never interleaved), each series' samples together and in time order,
// `# EOF` at the end. Written through a buffer that waits for 'drain', so memory stays flat
// whatever the output size.
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export type Labels = ReadonlyArray<readonly [name: string, value: string]>;

/** Label values and HELP text escape backslash, double quote and line feed (OpenMetrics 1.0). */
export function escapeText(s: string): string {
  return s.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

export function formatLabels(labels: Labels): string {
  return labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeText(v)}"`).join(',')}}`;
}

/**
 * A sample value as prom-client writes it: integers in full, other numbers in JavaScript's
 * shortest round-trip form (which Prometheus parses back to the same float64).
 */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function familyHeader(name: string, type: 'gauge' | 'counter', help: string): string {
  return `# HELP ${name} ${escapeText(help)}\n# TYPE ${name} ${type}\n`;
}

export const EOF_LINE = '# EOF\n';

/** Collects text and hands it to `out` in large chunks, waiting whenever `out` asks to. */
export class BufferedWriter {
  private buf: string[] = [];
  private size = 0;
  private failure: Error | undefined;

  constructor(
    private readonly out: Writable,
    private readonly chunkSize = 64 * 1024,
  ) {
    out.on('error', (err: Error) => {
      this.failure ??= err;
    });
  }

  /** Appends text; resolves at once unless the buffer went out and `out` is full. */
  async write(text: string): Promise<void> {
    this.buf.push(text);
    this.size += text.length;
    if (this.size >= this.chunkSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.size === 0) return;
    const chunk = this.buf.join('');
    this.buf = [];
    this.size = 0;
    // once() rejects when 'error' comes first.
    if (!this.out.write(chunk)) await once(this.out, 'drain');
    if (this.failure) throw this.failure;
  }

  /**
   * Writes what is left; resolves when everything reached the destination. `close`: end the
   * stream (a file); process.stdout is never ended, only waited for.
   */
  async end(close = true): Promise<void> {
    await this.flush();
    if (close) {
      const done = once(this.out, 'finish');
      this.out.end();
      await done;
    } else {
      await new Promise<void>((resolve, reject) => this.out.write('', (err) => (err ? reject(err) : resolve())));
    }
    if (this.failure) throw this.failure;
  }
}
