/**
 * The IPMI driver against a real BMC simulator (OpenIPMI ipmi_sim on 127.0.0.1) whose
 * chassis_control script records power and boot state in files, cross-checked with ipmitool.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers, peersPresent } from '../../testing/peers.ts';
import { isDragonflyError } from '../../shared/errors.ts';
import { createIpmiDriver, type IpmiDriverOptions } from './ipmi-driver.ts';
import { freeUdpPort, startIpmiSim, type IpmiSim } from './testing/ipmi-sim-harness.ts';
import type { IpmiTraceEvent } from './session.ts';
import { udpSocketFactory, type IpmiSocketFactory } from './transport.ts';

const run = promisify(execFile);
let sim: IpmiSim;
let base: IpmiDriverOptions;

beforeAll(async () => {
  if (!peersPresent(['ipmi_sim'])) return; // the suites below fail or skip, naming it
  sim = await startIpmiSim();
  const { host, port } = sim.endpoints[0];
  base = { host, port, username: 'admin', password: 'secret', cipherSuite: 3, timeoutMs: 500, retries: 2 };
});
afterAll(async () => {
  await sim?.stop();
});

/** Counts datagrams the driver sends, by RMCP+ payload type (byte 5 of an RMCP+ packet). */
function countingFactory(counts: Map<string, number>): IpmiSocketFactory {
  const name: Record<number, string> = { 0x10: 'openSession', 0x12: 'rakp1', 0x14: 'rakp3', 0x00: 'ipmi' };
  return async (host, port) => {
    const s = await udpSocketFactory(host, port);
    return {
      ...s,
      send: (p) => {
        const key = p[4] === 0x06 ? (name[p[5] & 0x3f] ?? 'other') : 'v15';
        counts.set(key, (counts.get(key) ?? 0) + 1);
        counts.set('total', (counts.get('total') ?? 0) + 1);
        s.send(p);
      },
    };
  };
}

async function withDriver<T>(fn: (d: ReturnType<typeof createIpmiDriver>) => Promise<T>, extra: Partial<IpmiDriverOptions> = {}): Promise<T> {
  const d = createIpmiDriver({ ...base, ...extra });
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

async function ipmitool(...args: string[]): Promise<string> {
  const { host, port } = sim.endpoints[0];
  const { stdout } = await run('ipmitool', ['-I', 'lanplus', '-C', '3', '-H', host, '-p', String(port), '-U', 'admin', '-P', 'secret', ...args]);
  return stdout.trim();
}

async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (check()) return true;
  return check();
}

describeWithPeers(['ipmi_sim'], 'IPMI driver against ipmi_sim (cipher suite 3)', () => {
  it('reads the chassis power state', async () => {
    sim.setPower(true);
    expect(await withDriver((d) => d.status())).toBe('on');
    sim.setPower(false);
    expect(await withDriver((d) => d.status())).toBe('off');
  });

  it('powers on and off, and the chassis sees it', async () => {
    sim.setPower(false);
    await withDriver(async (d) => {
      await d.on();
      expect(sim.chassis('power')).toBe('1');
      expect(await d.status()).toBe('on');
      await d.off();
      expect(sim.chassis('power')).toBe('0');
      expect(await d.status()).toBe('off');
    });
  });

  it('power cycles a running machine (off, then on again) and starts one that is off', async () => {
    sim.setPower(true);
    const before = sim.log().length;
    await withDriver((d) => d.cycle());
    expect(await eventually(() => sim.log().slice(before).join(',') === 'power 0,power 1')).toBe(true);
    sim.setPower(false);
    await withDriver((d) => d.cycle());
    expect(sim.chassis('power')).toBe('1');
  });

  it('hard resets and asks for a soft shutdown', async () => {
    sim.setPower(true);
    const before = sim.log().length;
    await withDriver(async (d) => {
      await d.reset();
      await d.softOff();
    });
    expect(sim.log().slice(before)).toEqual(['reset 1', 'shutdown 1']);
  });

  it('sets the next boot to PXE, persistent, UEFI, and back to disk', async () => {
    const trace: IpmiTraceEvent[] = [];
    await withDriver(async (d) => {
      await d.setNextBoot({ device: 'pxe', persistent: true, uefi: true });
      expect(sim.chassis('boot')).toBe('pxe');
      await d.setNextBoot({ device: 'disk', persistent: false, uefi: false });
      expect(sim.chassis('boot')).toBe('default');
    }, { trace: (e) => trace.push(e) });
    const flags = trace.filter((e) => e.request.command === 0x08 && e.request.data[0] === 5);
    // ipmi_sim keeps only the device; the valid/persistent/EFI bits are checked on the wire.
    expect(flags.map((e) => [...e.request.data])).toEqual([[5, 0xe0, 0x04, 0, 0, 0], [5, 0x80, 0x08, 0, 0, 0]]);
    expect(flags.every((e) => e.completionCode === 0)).toBe(true);
  });

  it('reuses one session for several commands and closes it', async () => {
    const counts = new Map<string, number>();
    await withDriver(async (d) => {
      await Promise.all([d.status(), d.status(), d.on(), d.status()]);
    }, { socketFactory: countingFactory(counts) });
    expect(counts.get('openSession')).toBe(1);
    expect(counts.get('rakp1')).toBe(1);
    // set privilege + 4 commands + close session
    expect(counts.get('ipmi')).toBe(6);
  });

  it('rejects a wrong password at once, with a clear message and no retries', async () => {
    const counts = new Map<string, number>();
    const err = await withDriver((d) => d.status(), { password: 'wrong', socketFactory: countingFactory(counts) }).catch((e) => e);
    expect(isDragonflyError(err, 'DF_ERR_UNAUTHORIZED')).toBe(true);
    expect(err.message).toBe(`BMC ${base.host}:${base.port} rejected user 'admin': wrong password or user`);
    expect(counts.get('rakp1')).toBe(1);
    expect(counts.get('openSession')).toBe(1);
    // v15 capabilities, Open Session, RAKP1, and one RAKP3 telling the BMC to drop the session
    expect(counts.get('total')).toBe(4);
  });

  it('rejects an unknown user as unauthorized', async () => {
    const err = await withDriver((d) => d.status(), { username: 'nobody' }).catch((e) => e);
    expect(isDragonflyError(err, 'DF_ERR_UNAUTHORIZED')).toBe(true);
    expect(err.message).toContain("rejected user 'nobody'");
  });

  it('times out on a port where no BMC listens, after exactly the configured attempts', async () => {
    const port = await freeUdpPort();
    const counts = new Map<string, number>();
    const err = await withDriver((d) => d.status(), { port, timeoutMs: 150, retries: 2, socketFactory: countingFactory(counts) }).catch((e) => e);
    expect(isDragonflyError(err, 'DF_ERR_TIMEOUT')).toBe(true);
    expect(err.message).toContain(`BMC 127.0.0.1:${port} did not answer Get Channel Authentication Capabilities (3 attempts`);
    expect(counts.get('total')).toBe(3);
  });

  it('reports cipher suite 17 as unsupported by this BMC (ipmi_sim speaks SHA-1 only)', async () => {
    const err = await withDriver((d) => d.status(), { cipherSuite: 17 }).catch((e) => e);
    expect(isDragonflyError(err, 'DF_ERR_UNAVAILABLE')).toBe(true);
    expect(err.message).toContain('does not support cipher suite 17');
  });
});

describeWithPeers(['ipmi_sim', 'ipmitool'], 'cross-check with ipmitool', () => {
  it('ipmitool sees the state our driver set', async () => {
    await withDriver((d) => d.on());
    expect(await ipmitool('chassis', 'power', 'status')).toBe('Chassis Power is on');
    await withDriver((d) => d.off());
    expect(await ipmitool('chassis', 'power', 'status')).toBe('Chassis Power is off');
  });

  it('our driver sees the state ipmitool set', async () => {
    await ipmitool('chassis', 'power', 'on');
    expect(await withDriver((d) => d.status())).toBe('on');
    await ipmitool('chassis', 'power', 'off');
    expect(await withDriver((d) => d.status())).toBe('off');
    await ipmitool('chassis', 'bootdev', 'pxe');
    expect(sim.chassis('boot')).toBe('pxe');
  });
});
