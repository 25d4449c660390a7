/**
 * What an RMCP+ status code (IPMI v2.0 table 13-15) in an Open Session Response or RAKP
 * message means for the user: credentials problems are DF_ERR_UNAUTHORIZED, everything
 * else DF_ERR_UNAVAILABLE with the status named.
 */
import { PowerError } from '../driver.ts';
import { RakpStatus } from './rakp.ts';

const statusText: Record<number, string> = {
  0x01: 'insufficient resources to create a session',
  0x02: 'invalid session ID',
  0x03: 'invalid payload type',
  0x04: 'invalid authentication algorithm',
  0x05: 'invalid integrity algorithm',
  0x06: 'no matching authentication payload',
  0x07: 'no matching integrity payload',
  0x08: 'inactive session ID',
  0x09: 'invalid role',
  0x0a: 'unauthorized role or privilege level requested',
  0x0b: 'insufficient resources to create a session at the requested role',
  0x0c: 'invalid name length',
  0x0d: 'unauthorized name',
  0x0e: 'unauthorized GUID',
  0x0f: 'invalid integrity check value',
  0x10: 'invalid confidentiality algorithm',
  0x11: 'no cipher suite match with proposed security algorithms',
  0x12: 'illegal or unrecognized parameter',
};

const credentialStatuses: ReadonlySet<number> = new Set([
  RakpStatus.unauthorizedName, RakpStatus.invalidIntegrityCheckValue, RakpStatus.invalidNameLength,
]);
const privilegeStatuses: ReadonlySet<number> = new Set([RakpStatus.invalidRole, RakpStatus.unauthorizedRole]);
const cipherStatuses: ReadonlySet<number> = new Set([
  RakpStatus.invalidAuthAlgorithm, RakpStatus.invalidIntegrityAlgorithm, RakpStatus.invalidConfidentialityAlgorithm,
  RakpStatus.noCipherSuiteMatch, 0x06, 0x07,
]);

export function rakpStatusText(status: number): string {
  return `RMCP+ status 0x${status.toString(16).padStart(2, '0')} (${statusText[status] ?? 'unknown'})`;
}

export function rakpFailure(peer: string, username: string, suite: number, step: string, status: number): PowerError {
  if (credentialStatuses.has(status)) {
    return new PowerError('ipmi', 'DF_ERR_UNAUTHORIZED', `BMC ${peer} rejected user '${username}': wrong password or user (${rakpStatusText(status)})`);
  }
  if (privilegeStatuses.has(status)) {
    return new PowerError('ipmi', 'DF_ERR_UNAUTHORIZED', `BMC ${peer} does not allow user '${username}' Administrator privilege (${rakpStatusText(status)})`);
  }
  if (cipherStatuses.has(status)) {
    return new PowerError('ipmi', 'DF_ERR_UNAVAILABLE', `BMC ${peer} does not support cipher suite ${suite} (${step}: ${rakpStatusText(status)})`);
  }
  return new PowerError('ipmi', 'DF_ERR_UNAVAILABLE', `BMC ${peer} refused the session at ${step}: ${rakpStatusText(status)}`);
}
