/**
 * The imaging scenario's steps, run by e2e/swarm/imaging.ts inside the lab's operator namespace
 * (dfs-sw-op), which reaches the three instances and etcd over the lab bridge:
 *
 *  1. B (n2) starts the swarm and leads DHCP; A (n1) and C (n3) join it.
 *  2. The lab disk image is imported on A; a BIOS VM PXE-boots from B and registers there; it is
 *     assigned; B copies the image from A (verified by digest) and the agent writes it.
 *  3. While image2disk runs, B is SIGKILLed (its link is slowed to 8 Mbit/s so that the write is
 *     still under way when it dies). The agent asks DHCP again, moves to the instance that answers,
 *     the download resumes there, and the machine reaches Ready; the VM's disk sha256 is the image's.
 *  4. A BMC credential stored through A powers a machine through C (ipmi_sim in C's namespace).
 *  5. `etcdctl get --prefix /dragonfly` holds neither that password, a template secret nor the admin password.
 *
 * Prints "ok: ..." per check and, last, one JSON line {"result": ...} with the figures.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { jsonLines, repoRoot } from './swarm-lab.ts';
import { api, instanceIp, killInstance, startInstance, stopInstance, until, type Instance } from './swarm-instance.ts';

interface RunConfig {
  etcd: string;
  dir: string;
  tap: string;
  bridgeNs: string;
}
interface Hw {
  metadata: { name: string };
  spec: { macs: string[] };
  status?: { state?: string; message?: string };
}
interface Wf {
  status?: { phase?: string; currentAction?: number; error?: string; actions?: Array<{ phase?: string; bytesDone?: number; bytesTotal?: number; message?: string }> };
}
interface Img {
  key: string;
  state: string;
  heldBy?: string[];
}

const cfg = JSON.parse(process.argv[2]!) as RunConfig;
const diskDir = join(repoRoot, '.cache', 'lab-disk');
const MAC = '52:54:00:79:00:01';
const BMC_PASS = 'swarm-ipmi-Qz81';
const TPL_SECRET = 'swarm-tpl-secret-Vb47';
const t0 = Date.now();
const check = (ok: boolean, what: string) => {
  if (!ok) throw new Error(`FAILED: ${what}`);
  console.log(`ok: ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
};
const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const hwByMac = async (i: Instance, token: string) => (await api<{ items: Hw[] }>(i, token, 'GET', '/api/v1/hardware')).items.find((h) => h.spec.macs.includes(MAC));
const imageOn = async (i: Instance, token: string) => (await api<{ items: Img[] }>(i, token, 'GET', '/api/v1/images')).items.find((x) => x.key === 'swarm-lab');

const instances: Instance[] = [];
const extra: Array<() => void> = [];
try {
  const rawSha = readFileSync(join(diskDir, 'disk.raw.sha256'), 'utf8').trim().split(/\s+/)[0]!;
  const dirOf = (k: number) => join(cfg.dir, `n${k}`);
  // 1. the swarm: B first, so B leads DHCP and the VM boots from it
  const b = await startInstance(2, cfg.etcd, dirOf(2));
  instances.push(b);
  const password = /admin password: (\S+)/.exec(b.out())?.[1];
  const joinToken = /--join (dfj1\.\S+)/.exec(b.out())?.[1];
  check(Boolean(password && joinToken), 'B (n2) started the swarm: admin password and join token printed');
  const session = (await api<{ token: string }>(b, undefined, 'POST', '/api/v1/auth/login', { username: 'admin', password })).token;
  const dhcpOf = async (i: Instance) => JSON.stringify((await api<{ services: { dhcp: unknown } }>(i, session, 'GET', '/api/v1/status')).services.dhcp);
  await until('B to lead DHCP', 60_000, async () => ((await dhcpOf(b)).includes('leader') ? true : undefined));
  // A join token admits one instance: C gets its own, made by the operator through B's API.
  const second = (await api<{ token: string }>(b, session, 'POST', '/api/v1/swarm/join-tokens', {})).token;
  const [a, c] = await Promise.all([startInstance(1, cfg.etcd, dirOf(1), joinToken), startInstance(3, cfg.etcd, dirOf(3), second)]);
  instances.push(a, c);
  for (const i of [a, c]) await until(`n${i.k} to stand by`, 60_000, async () => ((await dhcpOf(i)).includes('standby') ? true : undefined));
  check(true, `A (n1) and C (n3) joined; B leads DHCP, A and C stand by`);

  // 2. the image, imported on A only
  mkdirSync(join(dirOf(1), 'import'), { recursive: true });
  copyFileSync(join(diskDir, 'disk.raw.zst'), join(dirOf(1), 'import', 'disk.raw.zst'));
  await api(a, session, 'POST', '/api/v1/images/import', { name: 'swarm-lab', path: 'disk.raw.zst', checksum: `sha256:${rawSha}` }, 600_000);
  const seenOnB = await until('B to see the image held by A', 60_000, async () => {
    const img = await imageOn(b, session);
    return img && img.state !== 'ready' && img.heldBy?.some((h) => h.includes(instanceIp(1))) ? img : undefined;
  });
  check(true, `imported on A; B lists it as held by ${seenOnB.heldBy!.join(', ')} and does not hold it`);
  await api(a, session, 'POST', '/api/v1/apply', {
    apiVersion: 'dragonfly.computer/v1',
    kind: 'Template',
    metadata: { name: 'swarm-lab' },
    spec: {
      description: 'issue 18 lab: the lab disk image, then reboot',
      actions: [
        { name: 'write-image', type: 'image2disk', disk: { path: '/dev/vda' }, image: { url: 'cache:swarm-lab', checksum: `sha256:${rawSha}` } },
        { name: 'reboot', type: 'reboot' },
      ],
    },
  });

  // the VM: SeaBIOS + iPXE, a disk exactly the image's size
  const vmDir = join(cfg.dir, 'vm');
  mkdirSync(vmDir, { recursive: true });
  const disk = join(vmDir, 'disk.img');
  const serial = join(vmDir, 'serial.log');
  writeFileSync(serial, '');
  execFileSync('truncate', ['-s', String(statSync(join(diskDir, 'disk.raw')).size), disk]);
  const qemu = spawn('ip', ['netns', 'exec', cfg.bridgeNs, 'qemu-system-x86_64', '-accel', 'tcg', '-m', '1024', '-smp', '2', '-nographic', '-no-reboot', '-monitor', 'none',
    '-serial', `file:${serial}`, '-netdev', `tap,id=n0,ifname=${cfg.tap},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n0,mac=${MAC},bootindex=1`,
    '-drive', `if=none,id=pd,format=raw,file=${disk}`, '-device', 'virtio-blk-pci,drive=pd,serial=dfs-disk'], { stdio: 'ignore' });
  extra.push(() => qemu.kill('SIGKILL'));
  const qemuExited = new Promise((r) => qemu.once('exit', r));
  const console_ = () => readFileSync(serial, 'utf8').replace(/\r/g, '');
  const hw = await until('the VM to register', 420_000, async () => {
    const h = await hwByMac(a, session);
    return h?.status?.state === 'Registered' ? h : undefined;
  }, 1000);
  const bootedFrom = /control plane (http:\/\/[\d.]+:\d+)/.exec(console_())?.[1];
  check(bootedFrom === b.url, `the VM registered as ${hw.metadata.name}; its agent was booted by ${bootedFrom} (B is ${b.url})`);

  // 3. assign; B copies from A; SIGKILL B mid-write
  execFileSync('ip', ['netns', 'exec', 'dfs-sw-n2', 'tc', 'qdisc', 'add', 'dev', 'dfs-n2', 'root', 'tbf', 'rate', '8mbit', 'burst', '16kb', 'latency', '400ms']);
  const wfName = (await api<{ results: Array<{ workflow?: string; error?: { message: string } }> }>(a, session, 'POST', '/api/v1/assign', { template: 'swarm-lab', machines: [hw.metadata.name] })).results[0];
  if (!wfName?.workflow) throw new Error(`assign: ${JSON.stringify(wfName)}`);
  const wf = () => api<Wf>(a, session, 'GET', `/api/v1/workflows/${wfName.workflow}`);
  const progress = await until('image2disk to be under way', 300_000, async () => {
    const s = (await wf()).status;
    const w = s?.actions?.[0];
    if (s?.phase === 'Failed') throw new Error(`STOP workflow failed: ${s.error}`);
    return w?.phase === 'Running' && (w.bytesDone ?? 0) > 0 && (w.bytesDone ?? 0) < (w.bytesTotal ?? Infinity) ? w : undefined;
  }, 250);
  const onB = await imageOn(b, session);
  check(onB?.state === 'ready', `B copied the image from A (state on B: ${onB?.state}; held by ${onB?.heldBy?.join(', ')}); the agent is writing it: ${progress.bytesDone} of ${progress.bytesTotal} bytes`);
  const killedAt = Date.now();
  await killInstance(b);
  // what B stored last (it stores nothing more): the write going on beyond it is the survivor's doing
  const beforeKill = (await wf()).status?.actions?.[0]?.bytesDone ?? 0;
  const switched = await until('the agent to move to another instance', 180_000, async () => {
    const m = /DHCP is answered by ([\d.]+): continuing with (\S+)/.exec(console_());
    return m ? { at: Date.now(), ip: m[1]!, url: m[2]! } : undefined;
  }, 100);
  const survivor = instances.find((i) => i.ip === switched.ip);
  check(Boolean(survivor) && survivor !== b, `B SIGKILLed at ${beforeKill} bytes; the agent moved to ${switched.url} after ${((switched.at - killedAt) / 1000).toFixed(1)} s`);
  const resumed = await until('the write to go on through the survivor', 300_000, async () => {
    const s = (await wf()).status;
    const w = s?.actions?.[0];
    if (s?.phase === 'Failed') throw new Error(`STOP workflow failed: ${s.error}`);
    return (w?.bytesDone ?? 0) > beforeKill || w?.phase === 'Succeeded' ? Date.now() : undefined;
  }, 250);
  const done = await until('the workflow to succeed', 420_000, async () => {
    const s = (await wf()).status;
    if (s?.phase === 'Failed') throw new Error(`STOP workflow failed: ${s.error}`);
    return s?.phase === 'Succeeded' ? Date.now() : undefined;
  }, 1000);
  await Promise.race([qemuExited, new Promise((r) => setTimeout(r, 120_000).unref())]); // unref: a timer left pending would keep this process up
  const ready = await hwByMac(survivor!, session);
  const diskSha = sha256File(disk);
  check(ready?.status?.state === 'Ready' && diskSha === rawSha, `${hw.metadata.name} is ${ready?.status?.state} through n${survivor!.k}; the VM's disk sha256 ${diskSha.slice(0, 16)}… equals the image's (${rawSha.slice(0, 16)}…)`);

  // 4. a credential stored through A powers a machine through C
  const sim = spawn('ip', ['netns', 'exec', 'dfs-sw-n3', process.execPath, '--no-deprecation', '--import', 'tsx', join(repoRoot, 'e2e/swarm/bmc-sim.ts'), 'swarmop', BMC_PASS], { stdio: ['ignore', 'pipe', 'inherit'] });
  extra.push(() => sim.kill('SIGTERM'));
  const bmc = jsonLines(sim);
  const ep = await bmc.waitFor((l) => typeof l.port === 'number', 'ipmi_sim in C\'s namespace', 60_000);
  await api(a, session, 'POST', '/api/v1/credentials', { name: 'swarm-bmc', username: 'swarmop', secret: BMC_PASS });
  await api(a, session, 'POST', '/api/v1/apply', { apiVersion: 'dragonfly.computer/v1', kind: 'Hardware', metadata: { name: 'swarm-bmc-node' }, spec: { macs: ['52:54:00:79:00:02'], bmc: { protocol: 'ipmi', address: `${ep.host}:${ep.port}`, credentialRef: 'swarm-bmc' } } });
  await until('C to power the machine on', 60_000, async () => api(c, session, 'POST', '/api/v1/hardware/swarm-bmc-node/power', { action: 'on' }).then(() => true), 1000);
  await bmc.waitFor((l) => l.power === '1', 'ipmi_sim to see power on', 30_000);
  check(true, `a credential stored through A powered swarm-bmc-node on through C (ipmi_sim on C's loopback, ${ep.host}:${ep.port})`);

  // 5. etcd holds no secret in clear
  await api(a, session, 'POST', '/api/v1/apply', { apiVersion: 'dragonfly.computer/v1', kind: 'Template', metadata: { name: 'swarm-secret' }, spec: { secretVariables: ['root_password'], actions: [{ name: 'reboot', type: 'reboot' }] } });
  await api(c, session, 'PUT', '/api/v1/templates/swarm-secret/secrets/root_password', { value: TPL_SECRET });
  const dump = execFileSync('etcdctl', ['--endpoints', cfg.etcd, 'get', '--prefix', '/dragonfly'], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  const sealed = dump.includes('/credentials/swarm-bmc') && dump.includes('template/swarm-secret/root_password');
  check(sealed && !dump.includes(BMC_PASS) && !dump.includes(TPL_SECRET) && !dump.includes(password!), `etcdctl get --prefix /dragonfly (${dump.length} bytes) holds the sealed entries and neither the BMC password, the template secret nor the admin password`);
  console.log(JSON.stringify({ result: { switchMs: switched.at - killedAt, resumedMs: resumed - killedAt, killToSucceededMs: done - killedAt, killedAtBytes: beforeKill, totalBytes: progress.bytesTotal, survivor: `n${survivor!.k}`, seconds: (Date.now() - t0) / 1000 } }));
  process.exitCode = 0;
} catch (e) {
  console.error((e as Error).message);
  for (const i of instances) console.error(`--- n${i.k} (last lines)\n${i.out().split('\n').slice(-12).join('\n')}`);
  const serial = join(cfg.dir, 'vm', 'serial.log');
  if (existsSync(serial)) console.error(`--- VM console (last lines)\n${readFileSync(serial, 'utf8').replace(/\r/g, '').split('\n').filter(Boolean).slice(-25).join('\n')}`);
  process.exitCode = 1;
} finally {
  for (const f of extra) f();
  await Promise.all(instances.map(stopInstance));
}
