import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { notRunLine } from './not-run-summary.ts';
import { peers, unmetNeeds, whichPeer, type PeerName } from './peers.ts';

const aptList = readFileSync(fileURLToPath(new URL('../../.ci/apt-packages.sh', import.meta.url)), 'utf8');
const aptPackages = new Set(/pkgs=\(([^)]*)\)/.exec(aptList)![1]!.split(/\s+/).filter(Boolean));
const savedPath = process.env.PATH;
afterEach(() => void (process.env.PATH = savedPath));

describe('the peer table', () => {
  it('names only Debian packages that .ci/apt-packages.sh installs (one install list)', () => {
    const notInstalled = Object.entries(peers).filter(([, p]) => !aptPackages.has(p.pkg)).map(([bin, p]) => `${bin} (${p.pkg})`);
    expect(notInstalled).toEqual([]);
  });

  it('says which package to install for a binary that is not on PATH', () => {
    process.env.PATH = '/nonexistent-dragonfly-bin';
    expect(whichPeer('ipmi_sim')).toBeUndefined();
    const reasons = unmetNeeds(['ipmi_sim', 'qemu-img']);
    expect(reasons[0]).toBe('ipmi_sim missing: apt-get install openipmi');
    expect(reasons[1]).toMatch(/^qemu-img (missing: apt-get install qemu-utils|is \/\S+, not on PATH)/);
  });

  it('finds a binary on PATH, passes a met host condition and names an unmet one', () => {
    process.env.PATH = '/bin:/usr/bin';
    const sh = 'tar' satisfies PeerName;
    expect(whichPeer(sh)).toMatch(/\/tar$/);
    expect(unmetNeeds([sh, { ok: true, why: 'unused' }])).toEqual([]);
    expect(unmetNeeds([{ ok: false, why: 'no agent image: npm run build:agent-image' }])).toEqual(['no agent image: npm run build:agent-image']);
  });

  it('root is a need like any other', () => {
    expect(unmetNeeds(['root'])).toEqual(process.getuid?.() === 0 ? [] : ['needs root']);
  });
});

describe('the one line of suites that did not run', () => {
  it('names each file once, with every reason, sorted', () => {
    expect(notRunLine([
      { file: 'core/power/ipmi/ipmi-driver.test.ts', title: 'a', reasons: ['ipmi_sim missing: apt-get install openipmi'] },
      { file: 'core/dhcp/netns-full.test.ts', title: 'b', reasons: ['needs root'] },
      { file: 'core/power/ipmi/ipmi-driver.test.ts', title: 'c', reasons: ['ipmi_sim missing: apt-get install openipmi', 'ipmitool missing: apt-get install ipmitool'] },
    ])).toBe('core/dhcp/netns-full.test.ts (needs root), core/power/ipmi/ipmi-driver.test.ts (ipmi_sim missing: apt-get install openipmi; ipmitool missing: apt-get install ipmitool)');
  });
});
