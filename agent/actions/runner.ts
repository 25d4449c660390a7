import type { WorkflowEvent } from '../../core/contract/agent.ts';
import type { Static } from 'typebox';
import { rereadPartitions } from './block-device.ts';
import type { HardwareFacts } from '../../core/model/hardware.ts';
import type { Action, DiskSelector, Image2DiskAction, KexecAction, WriteFileAction } from '../../core/model/template.ts';
import { runBurnin } from './burnin.ts';
import { selectDisk } from './disk-select.ts';
import { runEfiBootOrder } from './efibootorder.ts';
import type { Exec } from './exec.ts';
import type { FetchFn } from '../api.ts';
import { nodeHttpGet, type HttpGet } from './http-get.ts';
import { writeImage, type Progress } from './image2disk.ts';
import { writeImageByFanout } from '../fanout/image2disk-fanout.ts';
import { defaultCmdline, kexecExecute, kexecLoad } from './kexec.ts';
import { runPartition } from './partition.ts';
import { rebootNow } from './reboot.ts';
import { partitionDevice, pathInside, parseMode, withMounted, writeFileInside } from './writefile.ts';

/** GET /api/agent/v1/workflows/:name, as the control plane sends it. */
export interface AgentWorkflow {
  name: string;
  phase?: string;
  startAt?: number;
  statuses?: { phase?: string }[];
  actions: Action[];
}

/** POST /api/agent/v1/workflows/:name/events (core/contract/agent.ts). */
export type ActionEvent = WorkflowEvent;

export interface RunnerDeps {
  workflow: AgentWorkflow;
  facts: HardwareFacts;
  /** Sends one event to the control plane. Progress events are not awaited by the action; the final ones are. */
  report: (ev: ActionEvent) => Promise<void>;
  exec: Exec;
  /** Image downloads; default node:http(s). */
  httpGet?: HttpGet;
  /** Calls to the control plane (fan-out tracker); default the global fetch. */
  fetch?: FetchFn;
  /** Control plane base URL: "cache:NAME" image URLs become {serverUrl}/images/NAME. */
  serverUrl?: string;
  /** The agent token of this run: with serverUrl, image2disk may fetch through the rack's swarm (agent/fanout). */
  token?: string;
  say?: (line: string) => void;
  /** Aborted when the control plane cancels the workflow: no further action starts. */
  signal?: AbortSignal;
}

export type RunOutcome = { ok: true; ran: number } | { ok: false; action: number; message: string; cancelled?: true };

const finished = new Set(['Succeeded', 'Failed', 'TimedOut', 'Cancelled']);

/**
 * Runs the workflow's actions in order from startAt, reporting each one Running, then Succeeded
 * or Failed; stops at the first failure. reboot and kexec are reported Succeeded before they
 * run, since the machine (and the agent) are gone once they do.
 */
export async function runWorkflow(d: RunnerDeps): Promise<RunOutcome> {
  const wf = d.workflow;
  if (wf.phase && finished.has(wf.phase)) return { ok: true, ran: 0 };
  let start = Math.max(0, wf.startAt ?? 0);
  if (wf.statuses?.[start]?.phase === 'Succeeded') start++;
  let ran = 0;
  for (let i = start; i < wf.actions.length; i++) {
    const a = wf.actions[i] as Action;
    // Between actions, never inside one: a half-written disk or partition table helps nobody.
    // Asked again after the Running report, whose refusal is how a late agent learns it.
    const before = cancelledBefore(i, a, d);
    if (before) return before;
    d.say?.(`action ${i + 1}/${wf.actions.length} "${a.name}" (${a.type})`);
    await d.report({ action: i, phase: 'Running' });
    const refused = cancelledBefore(i, a, d);
    if (refused) return refused;
    try {
      await runAction(a, i, d);
    } catch (err) {
      const message = `action "${a.name}" (${a.type}) failed: ${(err as Error).message ?? String(err)}`;
      d.say?.(message);
      await d.report({ action: i, phase: 'Failed', message: message.slice(0, 4000) });
      return { ok: false, action: i, message };
    }
    ran++;
  }
  return { ok: true, ran };
}

function cancelledBefore(i: number, a: Action, d: RunnerDeps): RunOutcome | undefined {
  if (!d.signal?.aborted) return undefined;
  const message = `cancelled before action ${i + 1} "${a.name}": ${(d.signal.reason as Error | undefined)?.message ?? 'by the control plane'}`;
  d.say?.(message);
  return { ok: false, action: i, message, cancelled: true };
}

async function runAction(a: Action, i: number, d: RunnerDeps): Promise<void> {
  const succeeded = () => d.report({ action: i, phase: 'Succeeded' });
  switch (a.type) {
    case 'partition':
      await runPartition(a, { facts: d.facts, exec: d.exec, say: d.say });
      return succeeded();
    case 'image2disk':
      await runImage2Disk(a, i, d);
      return succeeded();
    case 'writefile':
      await runWriteFile(a, d);
      return succeeded();
    case 'kexec':
      await loadKexec(a, d);
      await succeeded();
      await kexecExecute(d.exec);
      return;
    case 'reboot':
      await succeeded();
      await rebootNow(d.exec);
      return;
    case 'efibootorder': {
      const message = await runEfiBootOrder(a, { disks: d.facts.disks, exec: d.exec });
      d.say?.(message);
      return d.report({ action: i, phase: 'Succeeded', message: message.slice(0, 4000) });
    }
    case 'memtest':
    case 'disktest':
    case 'cpustress': {
      const progress = progressReporter(i, d.report);
      const message = await runBurnin(a, { disk: (sel) => diskTarget(d, sel), exec: d.exec, onProgress: progress.update }).finally(progress.idle);
      d.say?.(message);
      return d.report({ action: i, phase: 'Succeeded', message: message.slice(0, 4000) });
    }
    default:
      throw new Error(`unknown action type "${(a as { type?: unknown }).type}"; this agent runs ${['partition', 'image2disk', 'writefile', 'kexec', 'reboot', 'efibootorder', 'memtest', 'disktest', 'cpustress'].join(', ')}`);
  }
}

function diskPath(d: RunnerDeps, sel: DiskSelector): string {
  return diskTarget(d, sel).path;
}

function diskTarget(d: RunnerDeps, sel: DiskSelector): { path: string; sizeBytes: number } {
  const chosen = selectDisk(d.facts.disks, sel);
  if (!chosen.ok) throw new Error(chosen.error);
  return chosen.disk;
}

/** "cache:NAME" -> the control plane's image cache, GET {serverUrl}/images/NAME (served with Range support). */
export function imageUrl(url: string, serverUrl: string | undefined): string {
  if (!url.startsWith('cache:')) return url;
  if (!serverUrl) throw new Error(`image ${url} is in the control plane cache, but the agent does not know the control plane URL`);
  return `${serverUrl.replace(/\/+$/, '')}/images/${url.slice('cache:'.length).split('/').map(encodeURIComponent).join('/')}`;
}

async function runImage2Disk(a: Static<typeof Image2DiskAction>, i: number, d: RunnerDeps): Promise<void> {
  const target = diskPath(d, a.disk);
  const url = imageUrl(a.image.url, d.serverUrl);
  // The control plane always sends the digest of the raw disk (its cache computes it); never write unverified.
  if (!a.image.checksum) throw new Error(`image ${url} came without a checksum of the disk; refusing to write it unverified`);
  const progress = progressReporter(i, d.report);
  const checksum = a.image.checksum as string;
  const swarm = d.token && d.serverUrl ? await writeImageByFanout({ url, serverUrl: d.serverUrl, token: d.token, checksum, target, onProgress: progress.update, say: d.say, fetch: d.fetch, httpGet: d.httpGet }) : undefined;
  const r = swarm ?? (await writeImage({ url, checksum, format: a.image.format, target, httpGet: d.httpGet ?? nodeHttpGet(), onProgress: progress.update }));
  await progress.idle();
  if (swarm) d.say?.(`${target}: ${swarm.bytesFromPeers} bytes from peers, ${swarm.bytesFromServer} from the control plane${swarm.dropped.length ? `; dropped ${swarm.dropped.map((p) => `${p.peer} (${p.problem})`).join(', ')}` : ''}`);
  // A whole-disk image brings its own partition table: make the kernel read it, so a later
  // writefile finds /dev/vda2. Best effort: a target without partitions is fine too.
  await rereadPartitions(d.exec, target, []).catch((e: Error) => d.say?.(`${target}: could not re-read the partition table: ${e.message}`));
  const sources = swarm ? { bytesFromServer: swarm.bytesFromServer, bytesFromPeers: swarm.bytesFromPeers } : {};
  await d.report({ action: i, phase: 'Running', bytesDone: r.bytes, bytesTotal: r.bytes, ...sources });
  d.say?.(`${target}: wrote ${r.bytes} bytes from ${url}${'retries' in r && r.retries ? ` after ${r.retries} retries` : ''}, checksum verified`);
}

/** At most one progress report in flight; a newer figure replaces one not yet sent, so a slow control plane never slows the disk. */
export function progressReporter(action: number, report: RunnerDeps['report']) {
  let pending: Progress | undefined;
  let sending: Promise<void> | undefined;
  const pump = async () => {
    while (pending) {
      const p = pending;
      pending = undefined;
      await report({ action, phase: 'Running', ...p }).catch(() => undefined);
    }
    sending = undefined;
  };
  return {
    update(p: Progress) {
      pending = p;
      sending ??= pump();
    },
    idle: async () => {
      await sending;
    },
  };
}

async function runWriteFile(a: Static<typeof WriteFileAction>, d: RunnerDeps): Promise<void> {
  const disk = diskPath(d, a.disk);
  const mode = parseMode(a.mode);
  pathInside('/', a.path);
  const dev = await partitionDevice(disk, a.partition, { exec: d.exec });
  await withMounted(d.exec, dev, (dir) => writeFileInside(dir, { path: a.path, content: a.content, mode, uid: a.uid, gid: a.gid }));
  d.say?.(`${dev}: wrote ${a.path} (${Buffer.byteLength(a.content)} bytes, mode ${mode.toString(8)})`);
}

async function loadKexec(a: Static<typeof KexecAction>, d: RunnerDeps): Promise<void> {
  const disk = diskPath(d, a.disk);
  const dev = await partitionDevice(disk, a.partition, { exec: d.exec });
  await withMounted(d.exec, dev, (dir) =>
    kexecLoad(d.exec, pathInside(dir, a.kernel), a.initrd ? pathInside(dir, a.initrd) : undefined, a.cmdline ?? defaultCmdline(dev)),
  );
}
