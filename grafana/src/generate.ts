// `npm run dashboards`: writes grafana/dashboards/*.json from the code in grafana/src/.
// `npm run dashboards -- --check` exits 1 when the committed JSON differs (what the test checks).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDashboards } from './dashboards.js';

const outDir = fileURLToPath(new URL('../dashboards/', import.meta.url));
const check = process.argv.includes('--check');
const rendered = renderDashboards();
const stale: string[] = [];

mkdirSync(outDir, { recursive: true });
for (const [file, content] of rendered) {
  const path = join(outDir, file);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === content) continue;
  if (check) stale.push(file);
  else {
    writeFileSync(path, content);
    process.stdout.write(`wrote grafana/dashboards/${file}\n`);
  }
}
for (const file of readdirSync(outDir)) {
  if (file.endsWith('.json') && !rendered.has(file)) stale.push(`${file} (no longer generated)`);
}
if (stale.length > 0) {
  process.stderr.write(`stale dashboards: ${stale.join(', ')}; run npm run dashboards\n`);
  process.exit(1);
}
