/**
 * Why the control plane refused a machine token, one list: the contract's schema
 * (core/contract/agent.ts TokenRefusal) is built from it, the agent (which carries no schema
 * library) checks a server's answer against it, and core/auth names the ones it decides.
 * A new network boot mends each one, since it hands out a fresh enrolment token: spent (an
 * enrolment token works once), expired, unknown (not issued by this control plane, or too long
 * ago), elsewhere (issued to another address), revoked (an operator revoked the machine's agent
 * tokens), invalid (missing, malformed or forged), no-machine (the machine it names was deleted).
 */
export const tokenRefusals = ['spent', 'expired', 'unknown', 'elsewhere', 'revoked', 'invalid', 'no-machine'] as const;
export type TokenRefusal = (typeof tokenRefusals)[number];

export function isTokenRefusal(v: unknown): v is TokenRefusal {
  return typeof v === 'string' && (tokenRefusals as readonly string[]).includes(v);
}
