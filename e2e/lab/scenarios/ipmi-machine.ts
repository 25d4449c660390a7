/**
 * The "machine" behind the lab's emulated BMC (e2e/lab/scenarios/60-ipmi-power.sh): while this
 * process lives, the machine is powered on. It runs QEMU, and like real hardware it honours the
 * BMC's boot device at every start, including the restart after a guest reboot:
 *
 *   DIR/boot  "pxe" -> NIC first (bootindex 1), disk second; anything else ("default", the
 *             file missing) -> disk first, NIC second. An empty disk falls through to PXE.
 *
 * QEMU runs with -no-reboot -no-shutdown: a guest reboot or poweroff pauses it and sends a QMP
 * SHUTDOWN event whose reason tells the two apart (QEMU stays alive, so the event always
 * arrives). On "guest-reset" QEMU is ended and started again after a short POST delay, reading
 * DIR/boot afresh; on "guest-shutdown" QEMU is ended and this process exits (power off). SIGTERM
 * (the BMC's power off) ends QEMU and exits. The serial console is appended to DIR/serial.log
 * across starts; every start, reboot and stop is a line in DIR/chassis.log (the BMC's script
 * writes its "set" commands there too), so a test can check the order of events.
 * With --serial-relay PORT the serial port is also a TCP client of serial-relay.ts on 127.0.0.1:PORT
 * (the BMC's SOL is on the relay's other side, so it survives this process's QEMU restarts);
 * QEMU's chardev logfile keeps DIR/serial.log as before.
 *
 *   node --import tsx ipmi-machine.ts --dir D --tap TAP --mac MAC --disk IMG [--memory MIB] [--cpus N] [--post-delay S] [--serial SMBIOS_SERIAL] [--serial-relay PORT]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

type BootDevice = 'pxe' | 'default';

function bootDeviceOf(text: string | undefined): BootDevice {
  return text?.trim() === 'pxe' ? 'pxe' : 'default';
}

/** QEMU's device arguments for one start: the boot device decides which one SeaBIOS tries first. */
function deviceArgs(o: { tap: string; mac: string; disk: string; boot: BootDevice }): string[] {
  const [nic, disk] = o.boot === 'pxe' ? [1, 2] : [2, 1];
  // --tap none: a machine without a network (to try this program outside the lab).
  const net = o.tap === 'none' ? ['-nic', 'none'] : [
    '-netdev', `tap,id=n0,ifname=${o.tap},script=no,downscript=no`,
    '-device', `virtio-net-pci,netdev=n0,mac=${o.mac},bootindex=${nic}`,
  ];
  return [
    ...net,
    '-drive', `if=none,id=pd,format=raw,file=${o.disk}`,
    '-device', `virtio-blk-pci,drive=pd,serial=dfi-disk,bootindex=${disk}`,
  ];
}

/** The reason of a QMP SHUTDOWN event in one line of QMP output, if it is one. */
function shutdownReason(line: string): string | undefined {
  try {
    const m = JSON.parse(line) as { event?: string; data?: { reason?: string } };
    return m.event === 'SHUTDOWN' ? (m.data?.reason ?? 'unknown') : undefined;
  } catch {
    return undefined;
  }
}

interface Opts {
  dir: string;
  tap: string;
  mac: string;
  disk: string;
  memory: string;
  cpus: string;
  postDelayMs: number;
  /** The SMBIOS system serial (type 1) the machine reports, as a vendor burns it in. */
  serial?: string;
  /** The loopback TCP port of serial-relay.ts's machine side, if the BMC has SOL. */
  serialRelay?: string;
}

/** The serial port: a file, or a client of the lab's serial relay that also logs to the file. */
function serialArgs(o: Opts): string[] {
  const log = join(o.dir, 'serial.log');
  // A client without reconnect connects before the guest runs, so no early output is lost.
  const chardev = o.serialRelay ? `socket,id=ser,host=127.0.0.1,port=${o.serialRelay},logfile=${log},logappend=on` : `file,id=ser,path=${log},append=on`;
  return ['-chardev', chardev, '-serial', 'chardev:ser'];
}

const chassisLog = (dir: string, line: string) => appendFileSync(join(dir, 'chassis.log'), `${new Date().toISOString()} machine ${line}\n`);

/** One QEMU run; resolves with the SHUTDOWN reason ("guest-reset", "guest-shutdown") or how QEMU ended. */
async function runOnce(o: Opts, boot: BootDevice, onChild: (c: ChildProcess) => void): Promise<string> {
  const sock = join(o.dir, 'qmp.sock');
  rmSync(sock, { force: true });
  let reason: string | undefined;
  let qmp: Socket | undefined;
  const server = createServer((s) => {
    qmp = s;
    let buf = '';
    s.on('data', (d) => {
      buf += String(d);
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.includes('"QMP"')) s.write('{"execute":"qmp_capabilities"}\n');
        const r = shutdownReason(line);
        // The guest rebooted or powered off; QEMU is paused (-no-shutdown): end it here.
        if (r && !reason) {
          reason = r;
          child.kill('SIGTERM');
        }
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  appendFileSync(join(o.dir, 'serial.log'), `\r\n=== dfi-machine: power-on, boot ${boot}, ${new Date().toISOString()} ===\r\n`);
  const child = spawn('qemu-system-x86_64', [
    '-accel', 'tcg', '-m', o.memory, '-smp', o.cpus, '-nographic', '-no-reboot', '-no-shutdown', '-monitor', 'none',
    ...serialArgs(o),
    '-chardev', `socket,id=qmp,path=${sock}`, '-mon', 'chardev=qmp,mode=control',
    '-pidfile', join(o.dir, 'qemu.pid'),
    ...(o.serial ? ['-smbios', `type=1,serial=${o.serial}`] : []),
    ...deviceArgs({ tap: o.tap, mac: o.mac, disk: o.disk, boot }),
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  onChild(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-400)));
  const code = await new Promise<string>((resolve) => child.once('exit', (c, sig) => resolve(sig ?? String(c))));
  qmp?.destroy();
  server.close();
  rmSync(sock, { force: true });
  return reason ?? `qemu exited (${code})${stderr ? `: ${stderr.trim().replace(/\s+/g, ' ')}` : ''}`;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: Object.fromEntries(['dir', 'tap', 'mac', 'disk', 'memory', 'cpus', 'post-delay', 'serial', 'serial-relay'].map((k) => [k, { type: 'string' as const }])),
  });
  if (!v.dir || !v.tap || !v.mac || !v.disk) throw new Error('--dir, --tap, --mac and --disk are required');
  const o: Opts = { dir: v.dir, tap: v.tap, mac: v.mac, disk: v.disk, memory: v.memory ?? '1024', cpus: v.cpus ?? '2', postDelayMs: Number(v['post-delay'] ?? 2) * 1000, serial: v.serial, serialRelay: v['serial-relay'] };
  if (o.serialRelay && !/^\d{1,5}$/.test(o.serialRelay)) throw new Error(`--serial-relay must be a TCP port, not "${o.serialRelay}"`);
  let stopping = false;
  let child: ChildProcess | undefined;
  process.on('SIGTERM', () => {
    stopping = true;
    if (child && child.exitCode === null) child.kill('SIGTERM');
    else process.exit(0);
  });
  for (let n = 1; !stopping; n++) {
    const file = join(o.dir, 'boot');
    const boot = bootDeviceOf(existsSync(file) ? readFileSync(file, 'utf8') : undefined);
    chassisLog(o.dir, `start ${n} boot=${boot}`);
    const reason = await runOnce(o, boot, (c) => (child = c));
    child = undefined;
    if (stopping) {
      chassisLog(o.dir, 'stop (power off by the BMC)');
      break;
    }
    chassisLog(o.dir, reason);
    if (reason !== 'guest-reset') break; // powered off by the guest, or QEMU ended on its own
    // A real machine's POST takes a while; the next boot device is read at the next start.
    await new Promise((r) => setTimeout(r, o.postDelayMs));
  }
}

main().then(() => process.exit(0), (e: Error) => {
  console.error(e.message);
  process.exit(1);
});
