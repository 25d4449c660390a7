import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService, MachineTokenKind } from '../auth/auth-service.ts';
import { nextActionFor } from '../boot/fate.ts';
import type { EnrolmentGate } from '../boot/enrolment.ts';
import { bootUrls } from '../boot/urls.ts';
import type { Hardware } from '../model/hardware.ts';
import { HeartbeatRequest, RegisterRequest, WorkflowEvent, type TokenRefused } from '../contract/agent.ts';
import type { Action, Template } from '../model/template.ts';
import type { ImageCache } from '../images/cache.ts';
import { rewriteForMachines } from '../images/rewrite.ts';
import type { Workflow } from '../model/workflow.ts';
import type { HardwareIndex } from '../inventory/hardware-index.ts';
import type { Registrar } from '../inventory/registration.ts';
import { DragonflyError } from '../shared/errors.ts';
import { parseMac } from '../shared/mac.ts';
import type { Logger } from '../shared/logger.ts';
import type { Store } from '../store/store.ts';
import { renderTemplateText, type ContentFormat } from '../workflow/variables.ts';
import type { WorkflowService } from '../workflow/workflow-service.ts';
import { currentRun, runKey, runKeyOf } from '../workflow/agent-run.ts';
import { bearerToken } from './auth-hook.ts';
import { templateSecretValues, type SecretVault } from './template-secrets-plugin.ts';

export interface AgentDeps {
  store: Store;
  auth: AuthService;
  registrar: Registrar;
  index: HardwareIndex;
  workflows: WorkflowService;
  logger: Logger;
  serverUrl: () => string;
  /** Seconds between agent heartbeats; default 10. */
  heartbeatSeconds?: number;
  /** The OS image cache: image2disk URLs are rewritten to it, so machines never go to the internet. */
  images?: ImageCache;
  /** Values of secret template variables: rendered only here, for the machine's current run. */
  templateSecrets?: SecretVault;
  /** Refuses an enrolment token used from another address than the boot it was issued to (issue 14). */
  enrolment?: EnrolmentGate;
}

/**
 * Points every image2disk at the control plane's cache. An image already served by this
 * control plane (…/images/…) is left as written; one not cached yet is a 503 naming it,
 * and the agent asks again.
 */
function localizeImages(actions: Action[], serverUrl: string, images: ImageCache | undefined): Action[] {
  if (!images) return actions;
  const urls = bootUrls(serverUrl);
  return actions.map((a) => (a.type === 'image2disk' && !a.image.url.startsWith(urls.imagesBase) ? rewriteForMachines([a], urls.image, images)[0] : a));
}

const machine = { config: { access: 'machine' as const } };

/** The MAC behind the request's machine token, which must be the MAC the body names. */
function machineMac(req: FastifyRequest, auth: AuthService, log: Logger, claimed?: string, kinds?: MachineTokenKind[]): string {
  const mac = auth.verifyMachineToken(bearerToken(req), kinds);
  if (claimed !== undefined && parseMac(claimed) !== mac) {
    log.warn({ tokenMac: mac, claimed, ip: req.ip }, 'agent report for a MAC its token was not issued for');
    throw new DragonflyError('DF_ERR_FORBIDDEN', `this token was issued for ${mac}, not ${parseMac(claimed)}`);
  }
  return mac;
}

function variablesFor(hw: Hardware, wf: Workflow, tpl: Template, serverUrl: string): Record<string, string> {
  return {
    ...(tpl.spec.variables ?? {}),
    ...(wf.spec.variables ?? {}),
    hostname: wf.spec.variables?.hostname ?? hw.metadata.name,
    memorableName: hw.spec.displayName ?? hw.metadata.name,
    machine: hw.metadata.name,
    mac: hw.spec.macs[0],
    ipAddress: hw.status?.ipAddress ?? '',
    serverUrl,
  };
}

export async function agentPlugin(app: FastifyInstance, deps: AgentDeps): Promise<void> {
  const { auth, registrar, store, logger } = deps;
  /** What to do next; a run names the attempt, so a retried workflow (same name) runs again. */
  const next = async (hw: Hardware) => {
    const n = nextActionFor(hw);
    if (n.action !== 'run') return n;
    const wf = await store.get<Workflow>('Workflow', n.workflow).catch(() => undefined);
    return { ...n, attempt: wf?.status?.attempts ?? 1 };
  };
  /** The run the agent says it is in, if the control plane has given it up (cancelled, replaced, timed out). */
  const cancelled = async (hw: Hardware, running: string | undefined) => {
    if (!running) return undefined;
    const wf = await store.get<Workflow>('Workflow', running).catch(() => undefined);
    if (!wf) return { workflow: running, reason: `workflow ${running} no longer exists` };
    if (wf.spec.hardwareRef !== hw.metadata.name) return { workflow: running, reason: `workflow ${running} belongs to another machine` };
    const reason = await deps.workflows.whyNotRunnable(wf);
    return reason ? { workflow: running, reason } : undefined;
  };
  /**
   * A reply that says "run" carries a token for that run, also when the run was assigned between
   * reading the machine's run and its next step: a token bound to no run cannot fetch it.
   */
  const tokenForNext = (mac: string, held: string, fresh: string | undefined, n: Awaited<ReturnType<typeof next>>) => {
    if (n.action !== 'run') return fresh;
    const run = runKeyOf(n.workflow, n.attempt);
    return auth.agentTokenRun(fresh ?? held) === run ? fresh : auth.issueAgentToken(mac, run);
  };
  /** `held`: the token the agent holds now; `fresh`: one to hand out in its place. */
  const reply = async (hw: Hardware, mac: string, held: string, fresh?: string, running?: string) => {
    const stop = await cancelled(hw, running);
    const step = await next(hw);
    const token = tokenForNext(mac, held, fresh, step);
    return {
      hardware: hw.metadata.name,
      displayName: hw.spec.displayName,
      ...(token ? { agentToken: token } : {}),
      next: step,
      ...(stop ? { cancelled: stop } : {}),
      heartbeatSeconds: deps.heartbeatSeconds ?? 10,
    };
  };

  const runOf = (hw: Hardware) => currentRun(store, hw, (wf) => deps.workflows.whyNotRunnable(wf));
  /**
   * The token for the heartbeat's reply: when the machine's run changed (assigned, finished,
   * cancelled, retried), a token bound to the new one, and every earlier token of this MAC is
   * revoked, so the old run's token dies at its agent's next heartbeat; else a fresh one at
   * half-life (tokens are short-lived).
   */
  const heartbeatToken = async (token: string, mac: string, hw: Hardware): Promise<string | undefined> => {
    const run = await runOf(hw);
    if (auth.agentTokenRun(token) !== run) {
      await auth.revokeAgentTokens(mac);
      return auth.issueAgentToken(mac, run);
    }
    return auth.agentTokenStale(token) ? auth.issueAgentToken(mac, run) : undefined;
  };
  /**
   * An enrolment token works once, and only from the address its boot script went to (or a
   * fresh DHCP one). Returns what gives the token back if the registration then fails.
   */
  const spendEnrolment = async (req: FastifyRequest, mac: string): Promise<() => Promise<void>> => {
    const token = bearerToken(req);
    const gate = deps.enrolment;
    if (!gate || !token?.startsWith('dfe1.')) return async () => {};
    // The request's digest tells an agent's retry of a lost answer from a replay (enrolment.ts).
    const request = createHash('sha256').update(JSON.stringify(req.body)).digest('hex');
    const problem = (await gate.replayProblem(token, mac, req.ip)) ?? (await gate.spend(token, mac, req.ip, request));
    if (problem) {
      logger.warn({ mac, ip: req.ip, problem: problem.message }, 'enrolment token replay refused');
      throw new DragonflyError('DF_ERR_UNAUTHORIZED', problem.message, { refusal: problem.refusal } satisfies TokenRefused);
    }
    return () => gate.unspend(token);
  };

  app.post<{ Body: RegisterRequest }>(
    '/api/agent/v1/register',
    {
      ...machine,
      bodyLimit: 256 * 1024,
      schema: {
        tags: ['Agent'],
        summary: 'Agent registration (enrolment or agent token)',
        body: RegisterRequest,
      },
    },
    async (req) => {
      const mac = machineMac(req, auth, logger, req.body.mac);
      const giveBack = await spendEnrolment(req, mac);
      const hw = await registrar.register(mac, req.body.facts).catch(async (e: unknown) => {
        await giveBack(); // refused or failed: nothing was enrolled with it
        throw e;
      });
      const token = auth.issueAgentToken(mac, await runOf(hw));
      return reply(hw, mac, token, token);
    },
  );

  app.post<{ Body: HeartbeatRequest }>(
    '/api/agent/v1/heartbeat',
    {
      ...machine,
      schema: {
        tags: ['Agent'],
        summary: 'Agent heartbeat; the reply says "cancelled" when the workflow the agent runs was given up',
        body: HeartbeatRequest,
      },
    },
    async (req) => {
      const mac = machineMac(req, auth, logger, req.body.mac, ['dfa2']);
      const name = deps.index.nameByMac(mac);
      // The machine was deleted (or never registered): its token stands for nothing; the agent enrols again.
      if (!name) throw new DragonflyError('DF_ERR_UNAUTHORIZED', `no machine registered with MAC ${mac} (deleted?); enrol again`, { refusal: 'no-machine' } satisfies TokenRefused);
      const hw = await registrar.heartbeat(name);
      const held = bearerToken(req)!;
      return reply(hw, mac, held, await heartbeatToken(held, mac, hw), req.body.workflow);
    },
  );

  const workflowForToken = async (req: FastifyRequest<{ Params: { name: string } }>) => {
    const mac = machineMac(req, auth, logger, undefined, ['dfa2']);
    const wf = await store.get<Workflow>('Workflow', req.params.name);
    const hw = await store.get<Hardware>('Hardware', wf.spec.hardwareRef);
    if (!hw.spec.macs.includes(mac)) throw new DragonflyError('DF_ERR_FORBIDDEN', `workflow ${wf.metadata.name} belongs to another machine`);
    // A token works for the one run it was issued for. One issued while the machine had no run
    // (discovery) works for none: the heartbeat that announces a run hands out its token.
    const bound = auth.agentTokenRun(bearerToken(req)!);
    if (bound !== runKey(wf)) {
      logger.warn({ mac, workflow: runKey(wf), bound, ip: req.ip }, 'agent token used for another run');
      const issuedFor = bound ? `run ${bound}` : 'no run (issued while the machine had none)';
      throw new DragonflyError('DF_ERR_FORBIDDEN', `this agent token is for ${issuedFor}, not ${runKey(wf)}; it works for that run only (a heartbeat hands out the current run's)`);
    }
    return { wf, hw };
  };
  /**
   * The rendered workflow (template variables filled in) goes out only while it is the machine's
   * current workflow and still runnable: an old token, or an agent of a finished, cancelled or
   * replaced run, cannot read the variables again.
   */
  const currentWorkflowForToken = async (req: FastifyRequest<{ Params: { name: string } }>) => {
    const found = await workflowForToken(req);
    const { wf } = found;
    const reason = await deps.workflows.whyNotRunnable(wf);
    if (reason) throw new DragonflyError('DF_ERR_GONE', reason);
    const phase = wf.status?.phase ?? 'Pending';
    if (phase !== 'Pending' && phase !== 'Running') {
      throw new DragonflyError('DF_ERR_GONE', `workflow ${wf.metadata.name} is ${phase}; it is not handed out again (retry it to run it again)`);
    }
    return found;
  };

  app.get<{ Params: { name: string } }>(
    '/api/agent/v1/workflows/:name',
    { ...machine, schema: { tags: ['Agent'], summary: 'The workflow to run, with variables rendered' } },
    async (req) => {
      const { wf, hw } = await currentWorkflowForToken(req);
      const tpl = await store.get<Template>('Template', wf.spec.templateRef);
      // secrets last: a variable given at assignment cannot replace one the template keeps secret
      const vars = { ...variablesFor(hw, wf, tpl, deps.serverUrl()), ...templateSecretValues(deps.templateSecrets, tpl) };
      const actions = localizeImages(tpl.spec.actions, deps.serverUrl(), deps.images).map((a) =>
        a.type === 'writefile'
          ? { ...a, content: renderTemplateText(a.content, vars, (a.contentFormat ?? 'text') as ContentFormat) }
          : a.type === 'kexec' && a.cmdline
            ? { ...a, cmdline: renderTemplateText(a.cmdline, vars, 'cmdline') }
            : a,
      );
      return { name: wf.metadata.name, phase: wf.status?.phase, startAt: wf.status?.currentAction ?? 0, statuses: wf.status?.actions, actions };
    },
  );

  app.post<{ Params: { name: string }; Body: WorkflowEvent }>(
    '/api/agent/v1/workflows/:name/events',
    {
      ...machine,
      schema: {
        tags: ['Agent'],
        summary: 'Per-action progress from the agent',
        body: WorkflowEvent,
      },
    },
    async (req) => {
      await workflowForToken(req);
      const wf = await deps.workflows.applyAgentEvent(req.params.name, req.body);
      return { phase: wf.status?.phase };
    },
  );
}
