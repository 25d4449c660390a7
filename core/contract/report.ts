import Type, { type Static } from 'typebox';

/**
 * The signed site report (issue 17, "the hand-off report"): what `GET /api/v1/report` returns,
 * what `dragonfly report` writes and what `dragonfly report verify` reads back.
 */
export const REPORT_FORMAT = 'dragonfly.computer/site-report/v1';

const Duration = Type.Optional(Type.Number({ minimum: 0, description: 'seconds' }));

export const ReportCheck = Type.Object(
  {
    source: Type.Union([Type.Literal('action'), Type.Literal('condition')], { description: 'a workflow action, or a condition kept on the machine' }),
    name: Type.String(),
    result: Type.String({ description: 'the action phase (Succeeded, Failed, ...) or the condition status' }),
    startedAt: Type.Optional(Type.String()),
    finishedAt: Type.Optional(Type.String()),
    durationSeconds: Duration,
    message: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ReportCheck = Static<typeof ReportCheck>;

export const ReportTimelineStep = Type.Object(
  { at: Type.String(), step: Type.String(), detail: Type.Optional(Type.String()), durationSeconds: Duration },
  { additionalProperties: false, description: 'durationSeconds: until the next step (absent on the last)' },
);
export type ReportTimelineStep = Static<typeof ReportTimelineStep>;

export const ReportMachine = Type.Object(
  {
    name: Type.String(),
    displayName: Type.Optional(Type.String()),
    state: Type.String(),
    message: Type.Optional(Type.String()),
    serial: Type.Optional(Type.String()),
    macs: Type.Array(Type.String()),
    bmc: Type.Optional(Type.Object({ protocol: Type.String(), address: Type.String() }, { additionalProperties: false })),
    labels: Type.Record(Type.String(), Type.String()),
    facts: Type.Optional(Type.Unknown({ description: 'the hardware facts the agent reported (Hardware spec.facts)' })),
    checks: Type.Array(ReportCheck),
    template: Type.Optional(Type.String()),
    imageDigests: Type.Array(Type.String()),
    workflow: Type.Optional(
      Type.Object(
        {
          name: Type.String(),
          phase: Type.String(),
          assignedBy: Type.Optional(Type.String()),
          assignedAt: Type.Optional(Type.String()),
          startedAt: Type.Optional(Type.String()),
          finishedAt: Type.Optional(Type.String()),
          durationSeconds: Duration,
          error: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    timeline: Type.Array(ReportTimelineStep),
  },
  { additionalProperties: false },
);
export type ReportMachine = Static<typeof ReportMachine>;

export const SiteReport = Type.Object(
  {
    generatedAt: Type.String(),
    generatedBy: Type.Optional(Type.String({ description: 'the operator who asked for the report' })),
    controlPlaneVersion: Type.String(),
    countsByState: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
    machines: Type.Array(ReportMachine),
  },
  { additionalProperties: false },
);
export type SiteReport = Static<typeof SiteReport>;

export const ReportSignature = Type.Object(
  {
    algorithm: Type.Literal('Ed25519'),
    canonicalization: Type.Literal('RFC8785-JCS', { description: 'the bytes signed are the JCS form of { format, report }' }),
    publicKey: Type.String({ description: 'base64 of the SubjectPublicKeyInfo DER' }),
    keyFingerprint: Type.String({ description: 'SHA256: + unpadded base64 of the SHA-256 of the 32-byte public key' }),
    value: Type.String({ description: 'base64 signature' }),
  },
  { additionalProperties: false },
);
export type ReportSignature = Static<typeof ReportSignature>;

export const SignedReport = Type.Object(
  { format: Type.Literal(REPORT_FORMAT), report: SiteReport, signature: ReportSignature },
  { additionalProperties: false },
);
export type SignedReport = Static<typeof SignedReport>;
