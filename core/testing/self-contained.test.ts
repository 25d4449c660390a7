import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const codeFile = /\.(ts|tsx|mjs|cjs|js|sh)$/;
const skipDirs = new Set(['node_modules', 'dist', '.git', 'fixtures', 'release', 'test-results', 'playwright-report']);
// Written as pieces so that this file does not match itself.
const forbidden = [['shared', '/fixtures'].join(''), ["'..', ", "'shared'"].join(''), ['/work', '/'].join('')];

function* codeFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !skipDirs.has(entry.name)) yield* codeFiles(join(dir, entry.name));
    else if (entry.isFile() && codeFile.test(entry.name)) yield join(dir, entry.name);
  }
}

describe('the repository stands alone', () => {
  it('no code reads a folder beside the repository or a path of the machine it was written on', () => {
    const hits: string[] = [];
    for (const top of ['core', 'agent', 'electron', 'renderer', 'build', 'bin', 'e2e', 'bench', '.ci']) {
      for (const file of codeFiles(join(repoRoot, top))) {
        const text = readFileSync(file, 'utf8');
        for (const bad of forbidden) if (text.includes(bad)) hits.push(`${relative(repoRoot, file)}: ${bad}`);
      }
    }
    expect(hits).toEqual([]);
  });
});
