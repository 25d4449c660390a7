/**
 * The provisioning scenario's view of the control plane (e2e/lab/scenarios/provision.sh).
 * Runs inside the lab's server namespace and talks to the control plane on its loopback only.
 *
 *   template --name N --url U --checksum sha256:HEX --seed WORD [--final reboot|kexec] [--burnin pass|fail]
 *                                               apply the lab template (last action: reboot, or kexec
 *                                               into the image's own kernel and initrd)
 *   assign --template N --mac M                 -> prints the workflow name
 *   wait-state --mac M --state S [--timeout s]  -> waits for Hardware status.state (fails early on an unexpected Error)
 *   wait-phase --workflow W --phase P [--timeout s]
 *   revision                                    -> the store's revision now
 *   watch-progress --workflow W --from REV [--timeout s]  -> the workflow's changes since REV until Succeeded; prints its image2disk percents
 *   workflows --mac M                           -> prints how many workflows name the machine
 *   retry --workflow W
 *   error --mac M                               -> prints the machine's and its workflow's error text
 *   actions --mac M                             -> one line per action of its current workflow: name type phase seconds | message
 *   local-boots --mac M --since ISO             -> prints the script steps since ISO ("local (bios)", ...)
 *   timeline --mac M --since ISO                -> seconds from --since to each step (the benchmark)
 *
 * Environment: LAB_API_URL, LAB_TOKEN. Exit 0 + one summary line on success, 1 + reason on failure.
 */
import { parseArgs } from 'node:util';
import type { Hardware } from '../../../core/model/hardware.ts';
import type { Workflow } from '../../../core/model/workflow.ts';
import { labCall, labEvents } from '../lab-client.ts';

const call = labCall;

async function machine(mac: string): Promise<Hardware> {
  const { items } = await call<{ items: Hardware[] }>('GET', '/api/v1/hardware');
  const hw = items.find((h) => h.spec.macs.includes(mac));
  if (!hw) throw new Error(`no Hardware object has MAC ${mac}`);
  return hw;
}

async function workflowsOf(name: string): Promise<Workflow[]> {
  const { items } = await call<{ items: Workflow[] }>('GET', '/api/v1/workflows');
  return items.filter((w) => w.spec.hardwareRef === name);
}

async function poll(timeoutS: number, step: () => Promise<string | { fail: string } | undefined>, waiting: () => string): Promise<string> {
  const until = Date.now() + timeoutS * 1000;
  let last: string;
  for (;;) {
    try {
      const r = await step();
      if (typeof r === 'string') return r;
      if (r) throw new Error(r.fail);
      last = waiting();
    } catch (e) {
      if ((e as Error).message.startsWith('STOP ')) throw new Error((e as Error).message.slice(5), { cause: e });
      last = (e as Error).message;
    }
    if (Date.now() > until) throw new Error(`after ${timeoutS} s: ${last}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export type FinalAction = 'reboot' | 'kexec';

/**
 * How the lab template ends. reboot: the firmware boots again (PXE, then the disk). kexec: the
 * agent loads the kernel and initrd that e2e/lab/disk-image/build.sh puts at the root of the
 * image's ESP (partition 2: /vmlinuz, /initrd.img) and jumps into them, with the command line
 * GRUB would have given (serial console, hostname and seed for the marker) - GRUB never runs.
 * `{{hostname}}` is written without inner spaces on purpose: left unrendered, `{{ hostname }}`
 * would put a bare word "hostname" on the command line, and Debian's 6.1 kernel dies on it
 * before its console is up (early_hostname calls strlen(NULL)), so nothing at all would show.
 */
export function finalAction(final: FinalAction, seed: string, disk: { path: string }) {
  if (final === 'reboot') return { name: 'reboot', type: 'reboot' };
  return {
    name: 'kexec',
    type: 'kexec',
    disk,
    partition: 2,
    kernel: '/vmlinuz',
    initrd: '/initrd.img',
    cmdline: `console=ttyS0,115200 quiet panic=-1 dragonfly.host={{hostname}} dragonfly.seed=${seed}`,
  };
}

/** The lab template: the test's disk image onto /dev/vda, a seed file on its ESP, reboot (or kexec). */
export function labTemplate(name: string, url: string, checksum: string, seed: string, final: FinalAction = 'reboot') {
  const disk = { path: '/dev/vda' };
  return {
    apiVersion: 'dragonfly.computer/v1',
    kind: 'Template',
    metadata: { name },
    spec: {
      description: 'Dragonfly lab: the small BIOS+UEFI disk image built by e2e/lab/disk-image/build.sh',
      actionTimeoutSeconds: 600,
      actions: [
        { name: 'write-image', type: 'image2disk', disk, image: { url, checksum, format: 'zst' } },
        // partition 2 is the image's ESP (label DFESP); GRUB there reads this file at boot
        { name: 'seed', type: 'writefile', disk, partition: 2, path: '/dragonfly-seed.txt', content: `hostname={{ hostname }}\nseed=${seed}\n`, mode: '0644' },
        // UEFI: BootOrder becomes [the PXE option that booted the agent, the disk, the rest]; nothing on BIOS.
        { name: 'boot-order', type: 'efibootorder', disk },
        finalAction(final, seed, disk),
      ],
    },
  };
}

/**
 * The burn-in checks put before the lab template's actions (provision-burnin.sh), sized for a
 * 1 GiB, 256 MiB-disk VM under TCG. `fail`: a write speed no disk reaches, so the workflow must
 * stop at the disktest with its figures, before image2disk.
 */
export function burninActions(mode: 'pass' | 'fail', disk: { path: string }) {
  return [
    { name: 'memory', type: 'memtest', share: 0.5, maxMiB: 128 },
    { name: 'disk', type: 'disktest', disk, sizeMiB: 64, maxSeconds: 60, ...(mode === 'fail' ? { minWriteMBps: 100000 } : {}) },
    { name: 'cpu', type: 'cpustress', seconds: 5 },
  ];
}

type O = Record<string, string | undefined>;
const need = (o: O, k: string) => {
  const v = o[k];
  if (!v) throw new Error(`--${k} is required`);
  return v;
};

const commands: Record<string, (o: O) => Promise<string>> = {
  async template(o) {
    const final = o.final ?? 'reboot';
    if (final !== 'reboot' && final !== 'kexec') throw new Error(`--final must be reboot or kexec (got "${final}")`);
    const t = labTemplate(need(o, 'name'), need(o, 'url'), need(o, 'checksum'), need(o, 'seed'), final);
    if (o.burnin === 'pass' || o.burnin === 'fail') t.spec.actions.unshift(...(burninActions(o.burnin, { path: '/dev/vda' }) as (typeof t.spec.actions)[number][]));
    else if (o.burnin !== undefined) throw new Error(`--burnin must be pass or fail (got "${o.burnin}")`);
    const r = await call<{ results: Array<{ name: string; action: string }> }>('POST', '/api/v1/apply', t);
    return r.results.map((x) => `${x.name} ${x.action}`).join(', ');
  },
  async assign(o) {
    const hw = await machine(need(o, 'mac'));
    const r = await call<{ results: Array<{ machine: string; workflow?: string; error?: { code: string; message: string } }> }>('POST', '/api/v1/assign', {
      template: need(o, 'template'),
      machines: [hw.metadata.name],
    });
    const res = r.results[0];
    if (!res?.workflow) throw new Error(`assign ${hw.metadata.name}: ${res?.error ? `${res.error.code} ${res.error.message}` : 'no workflow in the answer'}`);
    return res.workflow;
  },
  async 'wait-state'(o) {
    const want = need(o, 'state');
    let seen = '';
    return poll(Number(o.timeout ?? 300), async () => {
      const hw = await machine(need(o, 'mac'));
      seen = `${hw.metadata.name} is ${hw.status?.state}${hw.status?.message ? ` (${hw.status.message})` : ''}`;
      if (hw.status?.state === want) return `${hw.metadata.name} ${want}`;
      if (hw.status?.state === 'Error' && want !== 'Error') throw new Error(`STOP ${seen}`);
      return undefined;
    }, () => seen);
  },
  async 'wait-phase'(o) {
    const want = need(o, 'phase');
    let seen = '';
    return poll(Number(o.timeout ?? 300), async () => {
      const wf = await call<Workflow>('GET', `/api/v1/workflows/${need(o, 'workflow')}`);
      const s = wf.status;
      seen = `workflow ${wf.metadata.name} is ${s?.phase}, action ${s?.currentAction}${s?.error ? `: ${s.error}` : ''}`;
      if (s?.phase === want) return seen;
      if (want !== 'Failed' && (s?.phase === 'Failed' || s?.phase === 'TimedOut')) throw new Error(`STOP ${seen}`);
      return undefined;
    }, () => seen);
  },
  /** The store's revision now (the event stream's first comment): where watch-progress replays from. */
  async revision() {
    const stop = new AbortController();
    try {
      for await (const e of labEvents(undefined, stop.signal)) {
        const m = /^connected at revision (\d+)$/.exec(e.comment ?? '');
        if (m) return m[1] as string;
      }
    } finally {
      stop.abort();
    }
    throw new Error('the event stream ended before it named its revision');
  },
  /**
   * Every change of the workflow from store revision --from on (the event stream the UI shows,
   * replayed, so no update is missed however fast the agent is), until it Succeeded; prints the
   * distinct byte counts (and percents, when the server knew the raw size) its image2disk action
   * reported. Fails unless one lay strictly between 0 and the final count: a user watching the
   * machine saw the write progress, not only its end.
   */
  async 'watch-progress'(o) {
    const name = need(o, 'workflow');
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), Number(o.timeout ?? 300) * 1000);
    const seen: Array<{ bytes: number; percent?: number }> = [];
    let last = `no change of workflow ${name} since revision ${need(o, 'from')}`;
    try {
      for await (const e of labEvents(Number(need(o, 'from')), stop.signal)) {
        if (e.event !== 'change' || !e.data) continue;
        const { kind, object } = JSON.parse(e.data) as { kind: string; object: Workflow };
        if (kind !== 'Workflow' || object.metadata.name !== name) continue;
        const s = object.status;
        const img = s?.actions?.find((a) => a.type === 'image2disk');
        if (img?.bytesDone !== undefined && seen.at(-1)?.bytes !== img.bytesDone) seen.push({ bytes: img.bytesDone, percent: img.percent });
        last = `workflow ${name} is ${s?.phase}, action ${s?.currentAction}${s?.error ? `: ${s.error}` : ''}`;
        if (s?.phase === 'Failed' || s?.phase === 'TimedOut') throw new Error(last);
        if (s?.phase === 'Succeeded') break;
      }
    } catch (e) {
      if (!stop.signal.aborted) throw e;
    } finally {
      clearTimeout(timer);
      stop.abort();
    }
    if (!last.includes(' is Succeeded')) throw new Error(`after ${o.timeout ?? 300} s: ${last}`);
    const final = seen.at(-1)?.bytes ?? 0;
    const shown = seen.map((x) => `${(x.bytes / 1048576).toFixed(1)} MiB${x.percent === undefined ? '' : ` (${x.percent}%)`}`).join(', ') || 'none';
    if (!seen.some((x) => x.bytes > 0 && x.bytes < final)) throw new Error(`${last}, but no image2disk progress short of its end reached the event stream (bytes done: ${shown})`);
    return `${last}; image2disk bytes done on the event stream: ${shown}`;
  },
  async workflows(o) {
    const hw = await machine(need(o, 'mac'));
    return String((await workflowsOf(hw.metadata.name)).length);
  },
  async retry(o) {
    const wf = await call<Workflow>('POST', `/api/v1/workflows/${need(o, 'workflow')}/retry`, { from: 'start' });
    return `workflow ${wf.metadata.name} is ${wf.status?.phase} (attempt ${(wf.status as { attempts?: number } | undefined)?.attempts ?? '?'})`;
  },
  async error(o) {
    const hw = await machine(need(o, 'mac'));
    const wfs = await workflowsOf(hw.metadata.name);
    const wf = wfs.find((w) => w.metadata.name === hw.status?.currentWorkflow) ?? wfs.at(-1);
    const actionMsgs = (wf?.status?.actions ?? []).map((a) => a.message).filter(Boolean);
    return [hw.status?.message, wf?.status?.error, ...actionMsgs].filter(Boolean).join(' | ');
  },
  /** Every action of the machine's current workflow: name type phase seconds | message (one line each). */
  async actions(o) {
    const hw = await machine(need(o, 'mac'));
    const wf = (await workflowsOf(hw.metadata.name)).find((w) => w.metadata.name === hw.status?.currentWorkflow);
    if (!wf) throw new Error(`${hw.metadata.name} has no current workflow`);
    const secs = (a: { startedAt?: string; finishedAt?: string }) => (a.startedAt && a.finishedAt ? ((Date.parse(a.finishedAt) - Date.parse(a.startedAt)) / 1000).toFixed(1) : '-');
    return (wf.status?.actions ?? []).map((a) => `${a.name} ${a.type} ${a.phase} ${secs(a)} | ${a.message ?? ''}`).join('\n');
  },
  async 'local-boots'(o) {
    const hw = await machine(need(o, 'mac'));
    const since = need(o, 'since');
    const steps = (hw.status?.bootHistory ?? []).filter((s) => s.at >= since && s.step === 'script');
    return steps.map((s) => s.detail ?? '').join('; ');
  },
  async timeline(o) {
    const hw = await machine(need(o, 'mac'));
    const t0 = Date.parse(need(o, 'since'));
    const steps = (hw.status?.bootHistory ?? []).filter((s) => Date.parse(s.at) >= t0);
    return steps.map((s) => `${s.step}=${((Date.parse(s.at) - t0) / 1000).toFixed(1)}`).join(' ');
  },
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: Object.fromEntries(['name', 'url', 'checksum', 'seed', 'final', 'burnin', 'template', 'mac', 'state', 'timeout', 'workflow', 'phase', 'since', 'from'].map((k) => [k, { type: 'string' as const }])),
  });
  const cmd = commands[positionals[0] ?? ''];
  if (!cmd) throw new Error(`usage: provision-api.ts ${Object.keys(commands).join('|')} [--options]`);
  console.log(await cmd(values as O));
}

main().catch((e: Error) => {
  console.log(e.message);
  console.error(e.message);
  process.exit(1);
});
