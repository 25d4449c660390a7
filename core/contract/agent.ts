/**
 * Agent ↔ control plane, /api/agent/v1: every message as a TypeBox schema. The API validates
 * request bodies with these; the agent (bundled without a schema library) imports the types
 * only and checks replies by hand in agent/protocol.ts, against these same types.
 */
import Type, { type Static } from 'typebox';
import { HardwareFacts } from '../model/hardware.ts';
import { tokenRefusals } from '../shared/token-refusal.ts';

/** What the machine does next, in every registration and heartbeat reply. */
export const Next = Type.Object({
  action: Type.Union([Type.Literal('wait'), Type.Literal('run'), Type.Literal('reboot'), Type.Literal('boot-local')]),
  workflow: Type.Optional(Type.String({ description: "workflow name, present when action is 'run'" })),
  attempt: Type.Optional(Type.Integer({ minimum: 1, description: 'which attempt of that workflow (a new attempt must run again)' })),
});
export type Next = Static<typeof Next>;
export type NextAction = Next['action'];

export const RegisterRequest = Type.Object({ mac: Type.String(), facts: HardwareFacts }, { additionalProperties: false });
export type RegisterRequest = Static<typeof RegisterRequest>;

/** The control plane gave up the workflow the agent said it runs (cancelled, replaced, timed out). */
export const Cancelled = Type.Object({ workflow: Type.String(), reason: Type.String() });
export type Cancelled = Static<typeof Cancelled>;

export const RegisterReply = Type.Object({
  hardware: Type.String(),
  displayName: Type.String(),
  agentToken: Type.String({ description: 'Bearer token for every later call of this machine' }),
  next: Next,
  heartbeatSeconds: Type.Integer({ minimum: 0, description: 'seconds between heartbeats; 0 means the default (10)' }),
});
export type RegisterReply = Static<typeof RegisterReply>;

export const HeartbeatRequest = Type.Object(
  { mac: Type.String(), workflow: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: 'the workflow the agent is running, if any' })) },
  { additionalProperties: false },
);
export type HeartbeatRequest = Static<typeof HeartbeatRequest>;

export const HeartbeatReply = Type.Object({
  next: Next,
  cancelled: Type.Optional(Cancelled),
  agentToken: Type.Optional(Type.String({ description: 'A fresh agent token, sent once the current one is past half its lifetime; use it from now on' })),
});
export type HeartbeatReply = Static<typeof HeartbeatReply>;

/** Per-action progress, POST /api/agent/v1/workflows/:name/events. */
export const WorkflowEvent = Type.Object(
  {
    action: Type.Integer({ minimum: 0, description: 'index of the action in the workflow' }),
    phase: Type.Union([Type.Literal('Running'), Type.Literal('Succeeded'), Type.Literal('Failed')]),
    bytesDone: Type.Optional(Type.Integer({ minimum: 0 })),
    bytesTotal: Type.Optional(Type.Integer({ minimum: 0 })),
    bytesFromServer: Type.Optional(Type.Integer({ minimum: 0, description: 'rack fan-out: bytes of bytesDone that came from the control plane' })),
    bytesFromPeers: Type.Optional(Type.Integer({ minimum: 0, description: 'rack fan-out: bytes of bytesDone that came from other agents' })),
    message: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);
export type WorkflowEvent = Static<typeof WorkflowEvent>;

/** Why the control plane refused a machine token (HTTP 401, in the error body's `details`): core/shared/token-refusal.ts. */
export const TokenRefusal = Type.Enum(tokenRefusals);
export type TokenRefusal = Static<typeof TokenRefusal>;

/** The `details` of a refused machine token. */
export const TokenRefused = Type.Object({ refusal: TokenRefusal });
export type TokenRefused = Static<typeof TokenRefused>;
