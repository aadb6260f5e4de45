import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoFileSchema, demoRecords, resolveDemoFile } from '../../exporter/src/demo/angor-source.js';
import { LIFECYCLE_STATES, lifecycleState } from '../../exporter/src/sources/angor/lifecycle.js';
import { PROJECT_ROOT } from '../../exporter/src/version.js';
import { startTestExporter } from '../helpers/exporter.js';
import { seriesValue } from '../sources/angor/helpers/fixtures.js';

const file = demoFileSchema.parse(JSON.parse(readFileSync(join(PROJECT_ROOT, 'data/angor_demo.json'), 'utf8')));

describe('Angor demo data', () => {
  it('resolves a relative ANGOR_DEMO_FILE against the project root, not the working directory', () => {
    expect(resolveDemoFile('data/angor_demo.json')).toBe(join(PROJECT_ROOT, 'data/angor_demo.json'));
    expect(resolveDemoFile('/srv/demo.json')).toBe('/srv/demo.json');
  });

  it('shows every lifecycle state today and years from now (dates move with the clock)', () => {
    for (const now of [file.anchor, file.anchor + 3 * 365 * 86_400 + 12_345]) {
      const states = demoRecords(file, now).map((r) => lifecycleState({ ...r.info, raisedSats: r.stats.amountInvested }, now));
      for (const s of LIFECYCLE_STATES) expect(states, `${s} at ${now}`).toContain(s);
    }
  });

  it('covers Invest, Fund, Subscribe and a legacy kind-30078 v1 project', () => {
    const records = demoRecords(file, file.anchor);
    expect(new Set(records.map((r) => r.info.type))).toEqual(new Set(['invest', 'fund', 'subscribe']));
    expect(records.some((r) => r.info.eventKind === 30078 && r.info.version === 1)).toBe(true);
    expect(records.length).toBeGreaterThanOrEqual(8);
  });

  it('is what a demo-mode exporter serves', async () => {
    const e = await startTestExporter({ DEMO: 'true' }, { schedule: false, now: () => file.anchor + 3600 });
    const [summary] = await e.scheduler.runAll('test');
    expect(summary).toMatchObject({ source: 'angor', ok: true });
    const body = await (await fetch(`${e.url}/metrics`)).text();
    const total = LIFECYCLE_STATES.reduce((n, s) => n + (seriesValue(body, `angor_projects{state="${s}"}`) ?? NaN), 0);
    expect(total).toBe(file.projects.length);
    expect(body).toContain('name="Kiln Bakery Co-op"');
  });

  it('adds no Angor job and no Angor series with ANGOR_ENABLE=false', async () => {
    const e = await startTestExporter({ DEMO: 'true', ANGOR_ENABLE: 'false' }, { schedule: false });
    expect(e.scheduler.sources).not.toContain('angor');
    const body = await (await fetch(`${e.url}/metrics`)).text();
    expect(body).not.toMatch(/^angor_/m);
  });
});
