import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DragonflyError, isDragonflyError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

/** Every error leaves as `{code, message, details?}` with the status of its code. */
export function errorHandler(log: Logger) {
  return (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const e = toDragonflyError(err);
    // An expected outage (a DragonflyError such as 503 "agent image being built") is a warning
    // without a stack; only an unexpected failure is an error with one.
    if (e.status >= 500 && !isDragonflyError(err)) log.error({ err: err.message, stack: err.stack, url: req.url }, 'request failed');
    else if (e.status >= 500) log.warn({ code: e.code, url: req.url }, e.message);
    else log.debug({ code: e.code, url: req.url }, e.message);
    const retry = (e.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    if (e.status === 429 && retry) reply.header('retry-after', String(retry)); // RFC 9110 §10.2.3
    reply.status(e.status).send({ code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) });
  };
}

export function toDragonflyError(err: unknown): DragonflyError {
  if (isDragonflyError(err)) return err;
  const fe = err as FastifyError;
  if (fe.validation) {
    const where = fe.validationContext ?? 'request';
    const problems = fe.validation.map((v) => `${where}${v.instancePath || ''}: ${v.message}`);
    return new DragonflyError('DF_ERR_INVALID', problems.join('; '), { problems });
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new DragonflyError('DF_ERR_TOO_LARGE', `request body too large (limit ${fe.message.match(/\d+/)?.[0] ?? '?'} bytes)`);
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new DragonflyError('DF_ERR_INVALID', `unsupported content type; send application/json or application/yaml`);
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new DragonflyError('DF_ERR_INVALID', 'request body is empty; expected JSON');
  if (fe.statusCode === 400 && err instanceof SyntaxError) return new DragonflyError('DF_ERR_INVALID', `malformed JSON: ${err.message}`);
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new DragonflyError('DF_ERR_INVALID', fe.message);
  return new DragonflyError('DF_ERR_INTERNAL', 'internal error; see the server log');
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply) {
  reply.status(404).send({ code: 'DF_ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
}
