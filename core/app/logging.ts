import pino from 'pino';
import type { Logger } from '../shared/logger.ts';

/** Paths pino must never print: credentials anywhere in a logged object. */
export const redactPaths = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'secret',
  '*.secret',
  '*.*.secret',
  'credentials',
  '*.credentials',
  'agentToken',
  '*.agentToken',
];

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { app: 'dragonfly' } }, destination) as unknown as Logger;
}
