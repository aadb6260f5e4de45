// docs/metrics.md must list exactly the metrics a running exporter registers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { buildMetrics } from '../../exporter/src/metrics/build.js';
import { PROJECT_ROOT } from '../../exporter/src/version.js';
import { tempDbPath } from '../helpers/tmp.js';

/** Metric names in the first column of the doc's tables; `name_*` rows are prefix wildcards. */
export function documentedMetrics(markdown: string): string[] {
  const names: string[] = [];
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*`([a-z_][a-z0-9_]*\*?)`\s*\|/.exec(line);
    if (m) names.push(m[1]!);
  }
  return names;
}

describe('docs/metrics.md', () => {
  it('documents every registered metric and nothing else', async () => {
    const h = openDatabase(tempDbPath());
    try {
      await migrateToLatest(h.db);
      const metrics = buildMetrics({ db: h.db, mode: 'live', sources: () => [] });
      const registered = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name).sort();
      const documented = documentedMetrics(readFileSync(join(PROJECT_ROOT, 'docs/metrics.md'), 'utf8'));
      const wildcards = documented.filter((d) => d.endsWith('*')).map((d) => d.slice(0, -1));
      const exact = documented.filter((d) => !d.endsWith('*'));

      const undocumented = registered.filter((n) => !exact.includes(n) && !wildcards.some((w) => n.startsWith(w)));
      expect(undocumented, 'registered but not in docs/metrics.md').toEqual([]);
      const unregistered = exact.filter((d) => !registered.includes(d));
      expect(unregistered, 'in docs/metrics.md but not registered').toEqual([]);
      for (const w of wildcards) {
        expect(registered.some((n) => n.startsWith(w)), `no registered metric matches ${w}*`).toBe(true);
      }
      expect(new Set(exact).size, 'a metric is documented twice').toBe(exact.length);
    } finally {
      await h.close();
    }
  });

  it('the parser finds table rows and ignores prose', () => {
    expect(documentedMetrics('| `a_b` | gauge |\n`c_d` in text\n| `e_*` | x |')).toEqual(['a_b', 'e_*']);
  });
});
