/**
 * Agent boot time under QEMU TCG, direct kernel boot (no PXE): QEMU start -> first
 * registration POST on the fake control plane. Reference measured side by side: the same
 * kernel, drivers and /init without Node and the agent (registers with busybox wget), so the
 * ratio is what Node + the agent cost. The lab compares these with PXE boots.
 *
 * Needs both images: node build/agent/build-image.mjs && node build/agent/build-image.mjs --reference
 * Run: node --import tsx bench/agent-boot.bench.ts [--runs N] [--firmware bios|uefi|both]
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bootDirect, type Firmware } from '../build/agent/boot-direct.ts';

const argv = process.argv.slice(2);
const get = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
const runs = Number(get('--runs') ?? 1);
const fw = get('--firmware') ?? 'both';
const firmwares: Firmware[] = fw === 'both' ? ['bios', 'uefi'] : [fw as Firmware];
const images = { agent: resolve('dist/agent-image'), reference: resolve('dist/agent-image-reference') };

for (const dir of Object.values(images)) {
  if (!existsSync(resolve(dir, 'initramfs.img'))) {
    console.error(`missing ${dir}/initramfs.img: build it first (see the header of this file)`);
    process.exit(1);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (dir: string) => (JSON.parse(readFileSync(resolve(dir, 'manifest.json'), 'utf8')).initramfsBytes / 1e6).toFixed(1);

console.log(`initramfs: agent ${mb(images.agent)} MB, reference ${mb(images.reference)} MB; ${runs} run(s) per cell, TCG, -smp 2 -m 1536`);
for (const firmware of firmwares) {
  const times: Record<'agent' | 'reference', number[]> = { agent: [], reference: [] };
  for (let i = 0; i < runs; i++) {
    for (const kind of ['reference', 'agent'] as const) {
      const r = await bootDirect({ firmware, imageDir: images[kind], timeoutMs: 180_000 });
      if (r.registerMs === undefined) throw new Error(`${kind} ${firmware}: no registration within the timeout`);
      times[kind].push(r.registerMs);
    }
  }
  const a = median(times.agent);
  const ref = median(times.reference);
  console.log(
    `${firmware}: QEMU start -> registration POST: agent ${(a / 1000).toFixed(1)} s, reference (busybox wget) ${(ref / 1000).toFixed(1)} s, ratio ${(a / ref).toFixed(2)}x`,
  );
}
