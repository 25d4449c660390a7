import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const repoRoot = new URL('../..', import.meta.url).pathname;
const builtIndex = join(repoRoot, 'dist/renderer/index.html');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** The control plane serves dist/renderer/ at `/`; build it when missing or older than its sources. */
export default function globalSetup(): void {
  const stale = !existsSync(builtIndex) || statSync(builtIndex).mtimeMs < Math.max(newestMtime(join(repoRoot, 'renderer/src')), statSync(join(repoRoot, 'renderer/index.html')).mtimeMs);
  if (stale) execFileSync('npm', ['run', 'build:renderer'], { cwd: repoRoot, stdio: 'inherit' });
}
