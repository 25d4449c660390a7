import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { AuthService } from '../auth/auth-service.ts';
import type { Hardware } from '../model/hardware.ts';
import type { WorkflowService } from '../workflow/workflow-service.ts';
import type { PowerService } from '../power/service.ts';
import { PowerAction } from '../contract/power.ts';
import { DragonflyError } from '../shared/errors.ts';
import type { Store } from '../store/store.ts';
import { selectMachines } from './objects-plugin.ts';
import { resolveIdentityConflict } from '../inventory/identity.ts';
import type { Registrar } from '../inventory/registration.ts';

export interface OperationsDeps {
  store: Store;
  workflows: WorkflowService;
  power?: PowerService;
  /** Signs and revokes the machines' agent tokens. */
  auth?: AuthService;
  /** Approves machines (and runs the rules on them). */
  registrar: Pick<Registrar, 'approve'>;
}

const AssignBody = Type.Object(
  {
    template: Type.String({ minLength: 1 }),
    machines: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 10000 })),
    labelSelector: Type.Optional(Type.String({ description: 'instead of machines: every machine matching, e.g. rack=r1' })),
    reimage: Type.Optional(Type.Boolean()),
    variables: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

export async function operationsPlugin(app: FastifyInstance, deps: OperationsDeps): Promise<void> {
  app.post<{ Body: { template: string; machines?: string[]; labelSelector?: string; reimage?: boolean; variables?: Record<string, string> } }>(
    '/api/v1/assign',
    { schema: { tags: ['Workflow'], summary: 'Assign a template to one or many machines (by name or label selector)', body: AssignBody } },
    async (req) => {
      const { labelSelector: _s, ...rest } = req.body;
      const machines = await selectMachines(deps.store, req.body);
      return { results: await deps.workflows.assign({ ...rest, machines, assignedBy: req.principal?.user }) };
    },
  );

  app.post<{ Params: { name: string }; Body: { from?: 'start' | 'failed' } }>(
    '/api/v1/workflows/:name/retry',
    {
      schema: {
        tags: ['Workflow'],
        summary: 'Retry a failed workflow',
        body: Type.Object({ from: Type.Optional(Type.Union([Type.Literal('start'), Type.Literal('failed')])) }, { additionalProperties: false }),
      },
    },
    async (req) => deps.workflows.retry(req.params.name, req.body?.from ?? 'start'),
  );

  app.post<{ Params: { name: string }; Body: { decision: 'accept' | 'refuse' } }>(
    '/api/v1/hardware/:name/identity',
    {
      schema: {
        tags: ['Hardware'],
        summary: 'Resolve an identity conflict: accept the offered identity (the agent may then register) or refuse it for good',
        body: Type.Object({ decision: Type.Union([Type.Literal('accept'), Type.Literal('refuse')]) }, { additionalProperties: false }),
      },
    },
    async (req) => resolveIdentityConflict(deps.store, req.params.name, req.body.decision),
  );

  app.post<{ Params: { name: string } }>(
    '/api/v1/hardware/:name/approve',
    { schema: { tags: ['Hardware'], summary: 'Approve a machine awaiting approval (enrolment: approve): it becomes Registered and may be assigned' } },
    async (req) => deps.registrar.approve(req.params.name),
  );

  app.post<{ Params: { name: string }; Body: { as: 'ready' | 'cancel' } }>(
    '/api/v1/hardware/:name/resolve',
    {
      schema: {
        tags: ['Hardware'],
        summary: 'Resolve a machine in Error by hand (ready as is), or cancel its assignment at any point before Ready',
        body: Type.Object({ as: Type.Union([Type.Literal('ready'), Type.Literal('cancel')]) }, { additionalProperties: false }),
      },
    },
    async (req) => deps.workflows.resolve(req.params.name, req.body.as),
  );

  app.post<{ Params: { name: string } }>(
    '/api/v1/hardware/:name/revoke-agent-tokens',
    { schema: { tags: ['Hardware'], summary: 'Refuse every agent token issued to this machine so far; its agent must enrol again (next boot)' } },
    async (req) => {
      if (!deps.auth) throw new DragonflyError('DF_ERR_UNAVAILABLE', 'machine tokens are not managed by this control plane');
      const hw = await deps.store.get<Hardware>('Hardware', req.params.name);
      for (const mac of hw.spec.macs) await deps.auth.revokeAgentTokens(mac);
      return { hardware: hw.metadata.name, revoked: hw.spec.macs };
    },
  );

  app.post<{ Params: { name: string }; Body: { action: PowerAction } }>(
    '/api/v1/hardware/:name/power',
    {
      schema: {
        tags: ['Hardware'],
        summary: 'Power action through the machine’s BMC',
        body: Type.Object(
          { action: PowerAction },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      if (!deps.power) throw new DragonflyError('DF_ERR_UNAVAILABLE', 'power control is not enabled on this control plane');
      return deps.power.act(req.params.name, req.body.action);
    },
  );

  app.post<{ Body: { machines?: string[]; labelSelector?: string; action: PowerAction } }>(
    '/api/v1/power',
    {
      schema: {
        tags: ['Hardware'],
        summary: 'One power action over many machines, with bounded concurrency; a result per machine',
        body: Type.Object(
          {
            machines: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 10000 })),
            labelSelector: Type.Optional(Type.String()),
            action: PowerAction,
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => {
      if (!deps.power) throw new DragonflyError('DF_ERR_UNAVAILABLE', 'power control is not enabled on this control plane');
      return { results: await deps.power.bulk(await selectMachines(deps.store, req.body), req.body.action) };
    },
  );
}
