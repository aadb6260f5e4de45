// The exporter's version, read from the package.json above this module (works from src/ and dist/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageJson(): { version: string; root: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'crowdfund-exporter') return { version: pkg.version ?? '0.0.0', root: dir };
    }
    dir = dirname(dir);
  }
  return { version: '0.0.0', root: process.cwd() };
}

const found = findPackageJson();
export const VERSION = found.version;
/** The project root (where package.json is): shipped files in data/ are found from here. */
export const PROJECT_ROOT = found.root;
