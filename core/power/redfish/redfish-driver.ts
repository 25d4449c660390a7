/**
 * Power control of one ComputerSystem through Redfish: status from PowerState, the
 * ComputerSystem.Reset action chosen from what the BMC advertises, and the boot source
 * override PATCHed with the ETag it was read with (If-Match, DSP0266 section 9.5).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { PowerError, type NextBoot, type PowerDriver, type PowerState } from '../driver.ts';
import { discardLogger, type Logger } from '../../shared/logger.ts';
import { RedfishHttp, type RedfishEndpoint, type RedfishResponse } from './redfish-http.ts';
import { field } from './redfish-error.ts';
import { planReset, type PowerOperation } from './reset-plan.ts';
import { bootPatchFor } from './boot-override.ts';
import { listSystemPaths, listSystems, resetAction, type RedfishSystemInfo } from './redfish-discovery.ts';

export interface RedfishDriverOptions extends RedfishEndpoint {
  /** Which system: its Id or @odata.id. Default: the only system; an error when there are several. */
  system?: string;
  /** How long cycle() waits for PowerState Off between ForceOff and On; ms, default 60000. */
  offWaitMs?: number;
  /** Poll period while waiting for Off; ms, default 1000. */
  pollMs?: number;
  logger?: Logger;
}

const invalidResponse = (message: string) => new PowerError('redfish', 'DF_ERR_INTERNAL', message);

export class RedfishDriver implements PowerDriver {
  readonly protocol = 'redfish' as const;
  private readonly http: RedfishHttp;
  private readonly opts: RedfishDriverOptions;
  private readonly log: Logger;
  private systemPath: string | undefined;

  constructor(opts: RedfishDriverOptions) {
    this.opts = opts;
    this.http = new RedfishHttp(opts);
    this.log = (opts.logger ?? discardLogger).child({ driver: 'redfish', bmc: opts.baseUrl });
  }

  /** SHA-256 fingerprint of the BMC certificate (pinned or learnt on first use); undefined over http. */
  get certificateFingerprint(): string | undefined {
    return this.http.pin.pinned;
  }

  /** All ComputerSystems the service root leads to. */
  async systems(): Promise<RedfishSystemInfo[]> {
    return listSystems(this.http);
  }

  async status(): Promise<PowerState> {
    const sys = (await this.readSystem()).body;
    const state = field(sys, 'PowerState');
    if (state === 'On' || state === 'PoweringOff') return 'on';
    if (state === 'Off' || state === 'PoweringOn') return 'off';
    return 'unknown';
  }

  on(): Promise<void> {
    return this.power('on');
  }
  off(): Promise<void> {
    return this.power('off');
  }
  softOff(): Promise<void> {
    return this.power('softOff');
  }
  cycle(): Promise<void> {
    return this.power('cycle');
  }
  reset(): Promise<void> {
    return this.power('reset');
  }

  /** The boot source override as the BMC reports it now (Redfish names, e.g. Once / Pxe / UEFI). */
  async bootOverride(): Promise<{ enabled?: string; target?: string; mode?: string }> {
    const boot = field((await this.readSystem()).body, 'Boot');
    const str = (k: string) => (typeof field(boot, k) === 'string' ? (field(boot, k) as string) : undefined);
    return { enabled: str('BootSourceOverrideEnabled'), target: str('BootSourceOverrideTarget'), mode: str('BootSourceOverrideMode') };
  }

  async setNextBoot(nb: NextBoot): Promise<void> {
    const path = await this.resolveSystem();
    for (let attempt = 1; ; attempt++) {
      const read = await this.readSystem();
      const result = bootPatchFor(nb, field(read.body, 'Boot'));
      if (!result.ok) throw new PowerError('redfish', 'DF_ERR_UNAVAILABLE', `cannot set next boot on ${path}: ${result.reason}`);
      const etag = etagOf(read);
      const res = await this.http.call('PATCH', path, result.patch, {
        headers: etag ? { 'If-Match': etag } : {},
        accept: attempt === 1 ? [412] : [],
      });
      if (res.status !== 412) return;
      // Someone changed the system between our read and our write: read again, try once more.
      this.log.debug({ path }, 'boot override PATCH got 412 Precondition Failed; re-reading');
    }
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private async power(op: PowerOperation): Promise<void> {
    const sys = (await this.readSystem()).body;
    const action = await resetAction(this.http, sys);
    if (!action) throw new PowerError('redfish', 'DF_ERR_UNAVAILABLE', `system ${this.systemPath} has no ComputerSystem.Reset action`);
    const result = planReset(op, action.allowed);
    if (!result.ok) throw new PowerError('redfish', 'DF_ERR_UNAVAILABLE', `cannot ${op} ${this.systemPath}: ${result.reason}`);
    const plan = result.plan;
    if (plan.kind === 'single') {
      await this.postReset(action.target, plan.resetType);
      return;
    }
    if (field(sys, 'PowerState') !== 'Off') {
      await this.postReset(action.target, plan.offType);
      await this.waitForOff();
    }
    await this.postReset(action.target, plan.onType);
  }

  private async postReset(target: string, resetType: string): Promise<void> {
    this.log.info({ target, resetType }, 'Redfish reset');
    await this.http.call('POST', target, { ResetType: resetType });
  }

  private async waitForOff(): Promise<void> {
    const deadline = Date.now() + (this.opts.offWaitMs ?? 60_000);
    while ((await this.status()) !== 'off') {
      if (Date.now() > deadline) {
        throw new PowerError('redfish', 'DF_ERR_TIMEOUT', `system ${this.systemPath} did not reach PowerState Off after ForceOff`);
      }
      await sleep(this.opts.pollMs ?? 1000);
    }
  }

  private async readSystem(): Promise<RedfishResponse> {
    const res = await this.http.call('GET', await this.resolveSystem());
    if (field(res.body, 'Id') === undefined && field(res.body, '@odata.id') === undefined) {
      throw invalidResponse(`Redfish ${this.systemPath} is not a ComputerSystem (no Id / @odata.id)`);
    }
    return res;
  }

  private async resolveSystem(): Promise<string> {
    if (this.systemPath) return this.systemPath;
    this.systemPath = await this.findSystem();
    return this.systemPath;
  }

  /** By path or by the last path segment first (one GET); by reading every member's Id only if needed. */
  private async findSystem(): Promise<string> {
    const paths = await listSystemPaths(this.http);
    const want = this.opts.system?.replace(/\/$/, '');
    if (!want) {
      if (paths.length === 1) return paths[0];
      const ids = paths.map((p) => p.split('/').pop()).join(', ') || 'none';
      throw new PowerError('redfish', 'DF_ERR_INVALID', `several Redfish systems (${ids}): choose one`);
    }
    const byPath = paths.find((p) => p === want || p.split('/').pop() === want);
    if (byPath) return byPath;
    const systems = await listSystems(this.http);
    const byId = systems.find((s) => s.id === want);
    if (byId) return byId.odataId;
    throw new PowerError('redfish', 'DF_ERR_INVALID', `no Redfish system "${want}" (systems: ${systems.map((s) => s.id).join(', ') || 'none'})`);
  }
}

/** The ETag header, else the resource's @odata.etag (some BMCs give only one of them). */
function etagOf(res: RedfishResponse): string | undefined {
  const header = res.headers.etag;
  if (typeof header === 'string' && header !== '') return header;
  const odata = field(res.body, '@odata.etag');
  return typeof odata === 'string' && odata !== '' ? odata : undefined;
}
