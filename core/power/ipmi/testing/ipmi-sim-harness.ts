/**
 * Test and bench support: runs OpenIPMI's `ipmi_sim` (lanserv) on loopback with a
 * chassis_control script that only records state in files, so tests can see what a
 * power command did. Only ever binds 127.0.0.x addresses (network safety rule).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsfType, decodeAsf, decodeRmcp, encodeAsf, RmcpClass } from '../rmcp.ts';
import { isDecodeError } from '../wire.ts';

export interface SimEndpoint {
  host: string; // a 127.0.0.x address
  port: number;
}

export interface IpmiSimOptions {
  /** LAN channels, each with up to 4 addresses (lan.conf `addr`). Default: one channel on one free 127.0.0.1 port. */
  channels?: SimEndpoint[][];
  username?: string; // default 'admin'
  password?: string; // default 'secret'
  /** Name of the device passed to chassis_control (default 'vm1'). */
  device?: string;
  /**
   * Serial port behind SOL (lan.conf `sol`): 'tcp:127.0.0.1:PORT' makes ipmi_sim connect to
   * a TCP server the test runs (ipmi_sim connects when SOL is activated, and keeps retrying).
   * Default: no SOL.
   */
  sol?: string;
}

export interface IpmiSim {
  endpoints: SimEndpoint[];
  dir: string;
  /** Current recorded chassis state: power '1'/'0', boot 'pxe'/'default', ... */
  chassis(key: 'power' | 'boot'): string;
  /** Every `set` the BMC made, oldest first, e.g. ['power 1', 'boot pxe']. */
  log(): string[];
  setPower(on: boolean): void;
  stop(): Promise<void>;
}

const chassisScript = (stateDir: string) => `#!/bin/sh
# ipmi_sim chassis_control: <device> get <what>... | <device> set <what> <value> ...
dir='${stateDir}'
dev="$1"; op="$2"; shift 2
case "$op" in
get) for what in "$@"; do
       case "$what" in
       power) echo "power:$(cat "$dir/$dev.power" 2>/dev/null || echo 0)";;
       boot) echo "boot:$(cat "$dir/$dev.boot" 2>/dev/null || echo default)";;
       esac
     done;;
set) while [ $# -ge 2 ]; do
       # a power cycle arrives as "set power 0" then "set power 1"
       echo "$2" > "$dir/$dev.$1"; echo "$1 $2" >> "$dir/$dev.log"; shift 2
     done;;
esac
`;

function lanConf(o: Required<Omit<IpmiSimOptions, 'channels' | 'sol'>> & { sol?: string }, channels: SimEndpoint[][], script: string): string {
  const auths = 'none md2 md5 straight';
  const lans = channels.map((eps, i) => [
    `  startlan ${i + 1}`,
    ...eps.map((e) => `    addr ${e.host} ${e.port}`),
    '    priv_limit admin',
    ...['callback', 'user', 'operator', 'admin'].map((p) => `    allowed_auths_${p} ${auths}`),
    '    guid a123456789abcdefa123456789abcdef',
    '  endlan',
  ].join('\n'));
  return [
    `name "dfisim"`, 'set_working_mc 0x20', ...lans,
    `  chassis_control "${script} ${o.device}"`,
    ...(o.sol ? [`  sol "${o.sol}" 115200`] : []),
    `  user 2 true "${o.username}" "${o.password}" admin 10 ${auths}`, '',
  ].join('\n');
}

const BMC_EMU = 'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nsel_enable 0x20 1000 0x0a\nmc_enable 0x20\n';

/** A UDP port that was free a moment ago on `host`. */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => s.once('error', reject).bind(0, host, resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A TCP port that was free a moment ago on 127.0.0.1: a VM's serial port for ipmi_sim's `sol` to connect to. */
export async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** ASF presence ping until ipmi_sim answers (it is up) or `ms` pass. */
export async function waitForPong(ep: SimEndpoint, ms = 5000): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  try {
    return await new Promise<boolean>((resolve) => {
      const ping = encodeAsf({ type: AsfType.presencePing, tag: 1, data: new Uint8Array(0) });
      const timer = setInterval(() => s.send(ping, ep.port, ep.host), 50);
      const give = setTimeout(() => { clearInterval(timer); resolve(false); }, ms);
      s.on('message', (msg) => {
        const rmcp = decodeRmcp(msg);
        if (isDecodeError(rmcp) || rmcp.messageClass !== RmcpClass.asf) return;
        const asf = decodeAsf(rmcp.body);
        if (!isDecodeError(asf) && asf.type === AsfType.presencePong) {
          clearInterval(timer); clearTimeout(give); resolve(true);
        }
      });
      s.send(ping, ep.port, ep.host);
    });
  } finally {
    s.close();
  }
}

export async function startIpmiSim(options: IpmiSimOptions = {}): Promise<IpmiSim> {
  const o = { username: 'admin', password: 'secret', device: 'vm1', ...options };
  const channels = options.channels ?? [[{ host: '127.0.0.1', port: await freeUdpPort() }]];
  for (const ep of channels.flat()) if (!ep.host.startsWith('127.')) throw new Error(`ipmi_sim harness binds loopback only, not ${ep.host}`);
  if (o.sol && !/^(tcp|telnet):127\.\d+\.\d+\.\d+:\d+$/.test(o.sol)) throw new Error(`ipmi_sim harness: SOL must be a loopback tcp: device, not ${o.sol}`);
  const dir = mkdtempSync(join(tmpdir(), 'dfi-ipmisim-'));
  const stateDir = join(dir, 'chassis');
  mkdirSync(stateDir);
  mkdirSync(join(dir, 'state'));
  const script = join(dir, 'chassis.sh');
  writeFileSync(script, chassisScript(stateDir));
  chmodSync(script, 0o755);
  writeFileSync(join(dir, 'lan.conf'), lanConf(o, channels, script));
  writeFileSync(join(dir, 'bmc.emu'), BMC_EMU);
  const child = spawn('ipmi_sim', ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'bmc.emu'), '-s', join(dir, 'state'), '-n'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const endpoints = channels.flat();
  if (!(await waitForPong(endpoints[0]))) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`ipmi_sim did not come up on ${endpoints[0].host}:${endpoints[0].port}: ${stderr}`);
  }
  const file = (name: string) => join(stateDir, `${o.device}.${name}`);
  return {
    endpoints,
    dir,
    chassis: (key) => (existsSync(file(key)) ? readFileSync(file(key), 'utf8').trim() : key === 'power' ? '0' : 'default'),
    log: () => (existsSync(file('log')) ? readFileSync(file('log'), 'utf8').trim().split('\n').filter(Boolean) : []),
    setPower: (on) => writeFileSync(file('power'), on ? '1\n' : '0\n'),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}
