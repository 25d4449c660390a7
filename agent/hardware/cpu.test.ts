import { describe, expect, it } from 'vitest';
import { countCpuList, detectCpu, parseCpuinfo } from './cpu.ts';
import { emptySnapshot, type Snapshot } from './snapshot.ts';

function cpuinfo(n: number, extra: (i: number) => string = () => ''): string {
  return Array.from({ length: n }, (_, i) => `processor\t: ${i}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Gold 6248\nflags\t\t: fpu lm sse\n${extra(i)}`).join('\n');
}

/** 2 sockets x 2 cores x 2 threads: 8 logical CPUs. */
function dualSocketSmt(): Snapshot {
  const s = emptySnapshot();
  s.files['/proc/cpuinfo'] = cpuinfo(8);
  s.files['/sys/devices/system/cpu/online'] = '0-7\n';
  for (let i = 0; i < 8; i++) {
    s.files[`/sys/devices/system/cpu/cpu${i}/topology/physical_package_id`] = `${i >> 2}\n`;
    s.files[`/sys/devices/system/cpu/cpu${i}/topology/core_id`] = `${(i >> 1) & 1}\n`;
  }
  return s;
}

describe('cpu', () => {
  it('splits /proc/cpuinfo into one block per processor', () => {
    const blocks = parseCpuinfo(cpuinfo(3));
    expect(blocks).toHaveLength(3);
    expect(blocks[2]['model name']).toBe('Intel(R) Xeon(R) Gold 6248');
  });

  it('counts kernel cpu lists with ranges and singles', () => {
    expect(countCpuList('0-3,8-11\n')).toBe(8);
    expect(countCpuList('0')).toBe(1);
    expect(countCpuList('0,2,4-5')).toBe(4);
    expect(countCpuList('zero')).toBeUndefined();
    expect(countCpuList('5-2')).toBeUndefined();
  });

  it('reports sockets, cores and threads of a two-socket SMT machine from sysfs topology', () => {
    expect(detectCpu(dualSocketSmt())).toEqual({ model: 'Intel(R) Xeon(R) Gold 6248', sockets: 2, cores: 4, threads: 8, arch: 'x86_64' });
  });

  it('counts only online CPUs as threads', () => {
    const s = dualSocketSmt();
    s.files['/sys/devices/system/cpu/online'] = '0-5\n';
    expect(detectCpu(s).threads).toBe(6);
  });

  it('falls back to cpuinfo physical id and cpu cores when sysfs topology is missing', () => {
    const s = emptySnapshot();
    s.files['/proc/cpuinfo'] = cpuinfo(4, (i) => `physical id\t: ${i >> 1}\ncpu cores\t: 1\n`);
    expect(detectCpu(s)).toMatchObject({ sockets: 2, cores: 2, threads: 4 });
  });

  it('prefers the kernel-reported architecture', () => {
    const s = dualSocketSmt();
    s.files['/proc/sys/kernel/arch'] = 'aarch64\n';
    expect(detectCpu(s).arch).toBe('aarch64');
  });

  it('says unknown rather than failing on an empty snapshot', () => {
    expect(detectCpu(emptySnapshot())).toEqual({ model: 'unknown', sockets: 0, cores: 0, threads: 0 });
  });
});
