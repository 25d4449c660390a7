import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hottest, runCpustress } from './cpustress.ts';

const root = mkdtempSync(join(tmpdir(), 'dfx-cpustress-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fake /sys with the sensors a laptop-class machine has: a thermal zone and a coretemp hwmon with two inputs. */
function fakeSys(name: string, zoneMilli: string, coreMilli: [string, string]): string {
  const sys = join(root, name);
  mkdirSync(join(sys, 'class/thermal/thermal_zone0'), { recursive: true });
  writeFileSync(join(sys, 'class/thermal/thermal_zone0/type'), 'x86_pkg_temp\n');
  writeFileSync(join(sys, 'class/thermal/thermal_zone0/temp'), `${zoneMilli}\n`);
  mkdirSync(join(sys, 'class/thermal/cooling_device0'), { recursive: true }); // not a zone
  mkdirSync(join(sys, 'class/hwmon/hwmon1'), { recursive: true });
  writeFileSync(join(sys, 'class/hwmon/hwmon1/name'), 'coretemp\n');
  writeFileSync(join(sys, 'class/hwmon/hwmon1/temp1_input'), `${coreMilli[0]}\n`);
  writeFileSync(join(sys, 'class/hwmon/hwmon1/temp2_input'), `${coreMilli[1]}\n`);
  writeFileSync(join(sys, 'class/hwmon/hwmon1/temp2_label'), 'Core 0\n');
  return sys;
}

const action = { name: 'cpu', type: 'cpustress' as const, seconds: 1 };

describe('temperature from sysfs', () => {
  it('takes the hottest of the thermal zones and hwmon inputs, naming the sensor', () => {
    expect(hottest(fakeSys('a', '45000', ['52000', '61500']))).toEqual({ celsius: 61.5, sensor: 'hwmon1 coretemp temp2' });
    expect(hottest(fakeSys('b', '70000', ['52000', '61500']))).toEqual({ celsius: 70, sensor: 'thermal_zone0 (x86_pkg_temp)' });
  });

  it('ignores unreadable and absurd readings, and is undefined with no sensors', () => {
    expect(hottest(fakeSys('c', '', ['-273150', 'garbage']))).toBeUndefined();
    expect(hottest(join(root, 'nothing-here'))).toBeUndefined();
  });
});

describe('cpustress', () => {
  it('loads every CPU, reports iterations/s per CPU and the temperature', async () => {
    const m = await runCpustress(action, { cpus: 2, sysRoot: fakeSys('run', '45000', ['52000', '48000']), sampleMs: 100 });
    expect(m).toMatch(/^cpustress: 2 CPUs × 1 s, iterations\/s per CPU [\d.]+, [\d.]+ \(SHA-256 of 64 KiB\), 0 errors; temperature 52 °C before, peak 52 °C \(hwmon1 coretemp temp1\)$/);
  });

  it('says "not reported" when the machine has no sensor', async () => {
    const m = await runCpustress(action, { cpus: 1, sysRoot: join(root, 'no-sensors') });
    expect(m).toMatch(/; temperature not reported$/);
  });

  it('fails when a CPU computes wrong results (stood in by a wrong expected digest)', async () => {
    await expect(runCpustress(action, { cpus: 2, sysRoot: join(root, 'no-sensors'), expectedDigest: '0'.repeat(64) })).rejects.toThrow(
      /^cpustress: \d+ wrong results \(cpu 0: \d+ of \d+, cpu 1: \d+ of \d+\); 2 CPUs × 1 s, .*, \d+ errors; temperature not reported$/,
    );
  });

  it('fails above maxTemperatureC with the sensor and the figures', async () => {
    await expect(runCpustress({ ...action, maxTemperatureC: 90 }, { cpus: 1, sysRoot: fakeSys('hot', '95000', ['52000', '48000']) })).rejects.toThrow(
      /^cpustress: 95 °C \(thermal_zone0 \(x86_pkg_temp\)\) is above maxTemperatureC 90; 1 CPU × 1 s, iterations\/s per CPU [\d.]+ .*, 0 errors; temperature 95 °C before, peak 95 °C/,
    );
  });

  it('passes maxTemperatureC when the machine reports no temperature (nothing to hold it to)', async () => {
    await expect(runCpustress({ ...action, maxTemperatureC: 10 }, { cpus: 1, sysRoot: join(root, 'no-sensors') })).resolves.toMatch(/temperature not reported$/);
  });
});
