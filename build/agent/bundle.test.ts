import { builtinModules } from 'node:module';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleAgent } from './bundle.mjs';

const dir = mkdtempSync(join(tmpdir(), 'dfa-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('agent bundle', () => {
  it('is one file that runs on plain node and prints its version', async () => {
    const { outfile } = await bundleAgent(join(dir, 'agent.js'));
    const r = spawnSync(process.execPath, [outfile, '--version'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^dragonfly-agent \d+\.\d+\.\d+\n$/);
  });

  it('is built only from agent/, core/model and core/shared and requires nothing but Node built-ins', async () => {
    const { outfile, inputs } = await bundleAgent(join(dir, 'agent.js'));
    // The two pure-JS decompressors (zstd, xz) and ws (the fan-out tracker's channel) are the only third-party code in the agent.
    expect(inputs.every((p) => /^(agent|core\/model|core\/shared|node_modules\/(fzstd|xz-decompress|ws))\//.test(p)), inputs.join(' ')).toBe(true);
    expect(inputs.some((p) => p.startsWith('node_modules/ws/'))).toBe(true);
    const required = [...readFileSync(outfile, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(0);
    expect(required.filter((m) => !m.startsWith('node:') && !builtinModules.includes(m))).toEqual([]);
  });

  it('exits 2 with the reason when the kernel command line lacks the control plane URL', async () => {
    const { outfile } = await bundleAgent(join(dir, 'agent.js'));
    const r = spawnSync(process.execPath, [outfile, '--cmdline', 'console=ttyS0 dragonfly.token=t'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('cannot start: dragonfly.url missing');
  });
});
