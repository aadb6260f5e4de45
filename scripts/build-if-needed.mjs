// Builds dist/ only when a source file is newer than the build. Runs on `npm ci` (prepare), so the
// first `npm start` of a fresh clone is instant, and again before every `npm start`.
// Where the sources or TypeScript are not there yet (a Docker layer that installs dependencies
// before copying the code), it does nothing: that build runs `npm run build` itself later.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const entry = join(root, 'dist/exporter/src/cli.js');

function newest(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, newest(p));
    else if (e.name.endsWith('.ts')) max = Math.max(max, statSync(p).mtimeMs);
  }
  return max;
}

const tsc = join(root, 'node_modules/typescript/bin/tsc');
if (!existsSync(join(root, 'exporter/src')) || !existsSync(tsc)) process.exit(0);

const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
const sources = Math.max(newest(join(root, 'exporter/src')), statSync(join(root, 'package.json')).mtimeMs);
if (built < sources) {
  process.stderr.write('building the exporter (tsc)...\n');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
}
