/**
 * Boot logs: while a machine is being provisioned (Assigned: power-cycled into PXE;
 * Provisioning: the agent runs), its console output is recorded to a file per boot, so a
 * failed install comes with what the screen said. Only output is recorded, never input
 * (typed secrets stay out); each log is capped, and only the newest few per machine are kept.
 * Files: <dir>/<machine>/<boot>.log, where <boot> is the workflow name.
 * Recording holds the BMC's one SOL session; an operator can release it for another client
 * (ipmitool), and then this boot is not recorded further (a new boot records again).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { discardLogger, type Logger } from '../shared/logger.ts';
import { DragonflyError } from '../shared/errors.ts';
import type { ConsoleAttachment, ConsoleHub, HubEnd } from './console-hub.ts';
import { describeHolder } from './console.ts';

export interface BootConsoleLogOptions {
  hub: ConsoleHub;
  dir: string;
  /** Largest log per boot, bytes (default 1 MiB); output beyond it is dropped with a note. */
  maxBytes?: number;
  /** Boot logs kept per machine, newest first (default 5). */
  keep?: number;
  /** Wait before trying again when the console cannot be opened (held, BMC down), ms (default 15000). */
  retryMs?: number;
  logger?: Logger;
}

/** The recorder and one machine's console: recording (holds SOL), waiting to retry, released for this boot, or not recording. */
export type RecorderState = 'recording' | 'waiting' | 'released' | 'off';

export interface BootLogInfo {
  boot: string;
  bytes: number;
  modified: string;
}

interface Recording {
  boot: string;
  file: string;
  bytes: number;
  attachment?: ConsoleAttachment;
  retry?: NodeJS.Timeout;
  stopped: boolean;
  /** Who released the console for another client; the recording of this boot ends there. */
  releasedBy?: string;
}

const SAFE = /^[a-z0-9][a-z0-9.-]{0,252}$/;

export class BootConsoleLogs {
  private readonly recordings = new Map<string, Recording>();
  private readonly log: Logger;

  constructor(private readonly opts: BootConsoleLogOptions) {
    this.log = (opts.logger ?? discardLogger).child({ svc: 'boot-console-log' });
  }

  /** Records `machine`'s console for `boot` while `provisioning`; stops when it is not. */
  track(machine: string, provisioning: boolean, boot: string | undefined): void {
    const current = this.recordings.get(machine);
    if (current && (!provisioning || current.boot !== boot)) void this.stop(machine);
    if (provisioning && boot && this.recordings.get(machine)?.boot !== boot) this.start(machine, boot);
  }

  /** What the recorder does with `machine`'s console now. */
  state(machine: string): { state: RecorderState; boot?: string; releasedBy?: string } {
    const rec = this.recordings.get(machine);
    if (!rec) return { state: 'off' };
    const state = rec.releasedBy ? 'released' : rec.attachment ? 'recording' : 'waiting';
    return { state, boot: rec.boot, ...(rec.releasedBy ? { releasedBy: rec.releasedBy } : {}) };
  }

  /**
   * Stops recording `machine`'s console for the rest of this boot and lets go of SOL, so that
   * another client can have it. Returns whether a recording was released.
   */
  async release(machine: string, by: string): Promise<boolean> {
    const rec = this.recordings.get(machine);
    if (!rec || rec.releasedBy) return false;
    this.markReleased(rec, by);
    const a = rec.attachment;
    rec.attachment = undefined;
    await a?.detach();
    return true;
  }

  list(machine: string): BootLogInfo[] {
    const dir = this.machineDir(machine);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.endsWith('.log')).map((f) => {
      const st = statSync(join(dir, f));
      return { boot: f.slice(0, -4), bytes: st.size, modified: st.mtime.toISOString() };
    }).sort((a, b) => b.modified.localeCompare(a.modified));
  }

  read(machine: string, boot: string): string {
    if (!SAFE.test(boot)) throw new DragonflyError('DF_ERR_INVALID', `boot "${boot}" is not a boot log name`);
    const file = join(this.machineDir(machine), `${boot}.log`);
    if (!existsSync(file)) throw new DragonflyError('DF_ERR_NOT_FOUND', `no console log of boot "${boot}" for ${machine}`);
    return readFileSync(file, 'latin1');
  }

  async close(): Promise<void> {
    await Promise.all([...this.recordings.keys()].map((m) => this.stop(m)));
  }

  private machineDir(machine: string): string {
    if (!SAFE.test(machine)) throw new DragonflyError('DF_ERR_INVALID', `"${machine}" is not a machine name`);
    return join(this.opts.dir, machine);
  }

  private start(machine: string, boot: string): void {
    if (!SAFE.test(boot)) return;
    const dir = this.machineDir(machine);
    mkdirSync(dir, { recursive: true });
    const rec: Recording = { boot, file: join(dir, `${boot}.log`), bytes: 0, stopped: false };
    appendFileSync(rec.file, ''); // exists now, so pruning counts it
    rec.bytes = statSync(rec.file).size;
    this.recordings.set(machine, rec);
    this.prune(dir);
    void this.attach(machine, rec);
  }

  private async attach(machine: string, rec: Recording): Promise<void> {
    try {
      const a = await this.opts.hub.attach(machine, {
        onData: (bytes) => this.append(rec, bytes),
        onEnd: (end) => this.ended(machine, rec, end),
      }, { replay: false }); // output from before this boot is not this boot's log
      if (rec.stopped || rec.releasedBy) await a.detach();
      else rec.attachment = a;
    } catch (e) {
      this.note(rec, `console not recorded: ${(e as Error).message}`);
      this.log.debug({ machine, err: (e as Error).message }, 'boot console not recorded');
      this.retryLater(machine, rec);
    }
  }

  private ended(machine: string, rec: Recording, end: HubEnd): void {
    rec.attachment = undefined;
    if (end.reason === 'released') return this.markReleased(rec, end.by);
    this.note(rec, end.reason === 'taken' ? `console taken by ${describeHolder(end.holder)}` : `console ended (${end.reason})`);
    this.retryLater(machine, rec);
  }

  private markReleased(rec: Recording, by: string): void {
    if (rec.releasedBy) return;
    this.note(rec, `console released to another client by ${by}; the rest of this boot is not recorded`);
    rec.releasedBy = by;
    clearTimeout(rec.retry);
  }

  private retryLater(machine: string, rec: Recording): void {
    if (rec.stopped || rec.releasedBy) return;
    rec.retry = setTimeout(() => void (rec.stopped || rec.releasedBy || this.attach(machine, rec)), this.opts.retryMs ?? 15_000);
  }

  private append(rec: Recording, bytes: Uint8Array): void {
    const max = this.opts.maxBytes ?? 1024 * 1024;
    if (rec.bytes >= max) return;
    const room = max - rec.bytes;
    const part = bytes.length > room ? bytes.subarray(0, room) : bytes;
    appendFileSync(rec.file, part);
    rec.bytes += part.length;
    if (rec.bytes >= max) appendFileSync(rec.file, `\r\n[dragonfly: log limit of ${max} bytes reached; later output not kept]\r\n`);
  }

  private note(rec: Recording, text: string): void {
    if (!rec.stopped) appendFileSync(rec.file, `\r\n[dragonfly: ${text}]\r\n`);
  }

  private async stop(machine: string): Promise<void> {
    const rec = this.recordings.get(machine);
    if (!rec) return;
    this.recordings.delete(machine);
    rec.stopped = true;
    clearTimeout(rec.retry);
    await rec.attachment?.detach();
  }

  private prune(dir: string): void {
    const logs = readdirSync(dir).filter((f) => f.endsWith('.log'))
      .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const old of logs.slice(this.opts.keep ?? 5)) rmSync(join(dir, old.f), { force: true });
  }
}
