import Type, { type Static } from 'typebox';
import { literalUnion, objectSchema } from './meta.ts';

export const workflowPhases = ['Pending', 'Running', 'Succeeded', 'Failed', 'TimedOut', 'Cancelled'] as const;
export type WorkflowPhase = (typeof workflowPhases)[number];
export const actionPhases = ['Pending', 'Running', 'Succeeded', 'Failed', 'TimedOut', 'Skipped', 'Cancelled'] as const;

export const ActionStatus = Type.Object(
  {
    name: Type.String(),
    type: Type.String(),
    phase: literalUnion(actionPhases),
    startedAt: Type.Optional(Type.String({ format: 'date-time' })),
    finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
    bytesDone: Type.Optional(Type.Integer({ minimum: 0 })),
    bytesTotal: Type.Optional(Type.Integer({ minimum: 0 })),
    percent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    etaSeconds: Type.Optional(Type.Number({ minimum: 0 })),
    bytesFromServer: Type.Optional(Type.Integer({ minimum: 0, description: 'rack fan-out: bytes received from the control plane' })),
    bytesFromPeers: Type.Optional(Type.Integer({ minimum: 0, description: 'rack fan-out: bytes received from other machines' })),
    message: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ActionStatus = Static<typeof ActionStatus>;

export const WorkflowSpec = Type.Object(
  {
    hardwareRef: Type.String({ minLength: 1 }),
    templateRef: Type.String({ minLength: 1 }),
    variables: Type.Optional(Type.Record(Type.String(), Type.String())),
    reimage: Type.Optional(Type.Boolean({ description: 'set when an operator confirmed reimaging a provisioned machine' })),
  },
  { additionalProperties: false },
);

export const WorkflowStatus = Type.Object(
  {
    phase: literalUnion(workflowPhases),
    currentAction: Type.Optional(Type.Integer({ minimum: 0 })),
    actions: Type.Array(ActionStatus),
    assignedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when the template was assigned; the workflow timeout counts from here until it starts' })),
    startedAt: Type.Optional(Type.String({ format: 'date-time' })),
    finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
    error: Type.Optional(Type.String()),
    attempts: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type WorkflowStatus = Static<typeof WorkflowStatus>;

export const Workflow = objectSchema('Workflow', WorkflowSpec, WorkflowStatus);
export type Workflow = Static<typeof Workflow>;

/** Annotation on a Workflow naming the operator who assigned it (kept for the site report). */
export const ASSIGNED_BY_ANNOTATION = 'dragonfly.computer/assigned-by';
