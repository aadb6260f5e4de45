// `git clone && npm ci && npm test` must pass with nothing beside the clone: no test, benchmark,
// script or CI step may read the design work's ../shared/ (CI happens to have it, users do not),
// nor an absolute path of one machine. Copies live in the repository, with their source noted.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../exporter/src/version.js';

const SCANNED = ['test', 'bench', 'scripts', '.ci', 'exporter', 'vitest.config.ts', 'package.json', 'Dockerfile'];
const CODE = /\.(ts|mts|cts|js|mjs|cjs|json|sh)$|^run$|^Dockerfile$/;

function files(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => (name === 'node_modules' || name === 'fixtures' ? [] : files(join(path, name))));
}

/** Lines (comments aside) that reach outside the repository. */
export function outsideReferences(source: string): string[] {
  const up = String.raw`\.\.`;
  const patterns = [
    new RegExp(`${up}/shared\\b`), // the parent folder's shared/ as a path
    new RegExp(`['"\`]${up}['"\`]\\s*,\\s*['"\`]shared['"\`]`), // a join() of the parent folder and shared
    /\bshared\/contracts\b/,
    /['"`]\/work\//,
  ];
  return source
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => !line.startsWith('//') && !line.startsWith('*') && !line.startsWith('#'))
    .filter((line) => patterns.some((p) => p.test(line)));
}

describe('the repository tests itself', () => {
  it('the check sees the ways a path leaves the repository', () => {
    const up = '..';
    expect(outsideReferences(`const p = join(ROOT, '${up}', 'shared', 'x.json');`)).toHaveLength(1);
    expect(outsideReferences(`readFileSync('${up}/shared/contracts/compose/compose-spec.json')`)).toHaveLength(1);
    expect(outsideReferences(`cat "/work/shared/contracts/btcpay/FACTS.md"`)).toHaveLength(1);
    expect(outsideReferences(`// Copies of ${up}/shared/contracts/angor/*.json`)).toEqual([]);
    expect(outsideReferences(`const p = join(ROOT, 'test', 'fixtures', 'x.json');`)).toEqual([]);
  });

  it('no test, benchmark, script or CI step reads a shared folder beside the clone, or a machine path', () => {
    const found: string[] = [];
    for (const entry of SCANNED) {
      let paths: string[];
      try {
        paths = files(join(PROJECT_ROOT, entry));
      } catch {
        continue; // not every entry exists in every checkout
      }
      for (const path of paths.filter((p) => CODE.test(p.split('/').pop()!))) {
        if (path === import.meta.filename) continue;
        for (const line of outsideReferences(readFileSync(path, 'utf8'))) found.push(`${relative(PROJECT_ROOT, path)}: ${line}`);
      }
    }
    expect(found).toEqual([]);
  });
});
