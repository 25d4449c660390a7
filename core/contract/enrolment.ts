/**
 * Enrolment settings as they cross the UI/CLI ↔ API boundary (GET/PUT /api/v1/settings/enrolment)
 * and as they are saved (DATA_DIR/enrolment.json).
 */
import Type, { type Static } from 'typebox';

export const EnrolmentMode = Type.Union([Type.Literal('open'), Type.Literal('approve')], {
  description: 'open (default): a machine is Registered as soon as its agent reports; approve: it stays Discovered, AwaitingApproval, until an operator approves it',
});
export type EnrolmentMode = Static<typeof EnrolmentMode>;

export const EnrolmentSettings = Type.Object({ enrolment: EnrolmentMode }, { additionalProperties: false });
export type EnrolmentSettings = Static<typeof EnrolmentSettings>;

export const defaultEnrolmentSettings: EnrolmentSettings = { enrolment: 'open' };
