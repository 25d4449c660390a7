/**
 * Error codes, one place. Every error that crosses a layer boundary carries a code and
 * the HTTP status the API answers with, so handlers never guess.
 */
export const errorStatus = {
  DF_ERR_INVALID: 400,
  DF_ERR_DECODE: 400,
  DF_ERR_UNAUTHORIZED: 401,
  DF_ERR_FORBIDDEN: 403,
  DF_ERR_NOT_FOUND: 404,
  DF_ERR_CONFLICT: 409,
  DF_ERR_ALREADY_EXISTS: 409,
  DF_ERR_ILLEGAL_TRANSITION: 409,
  DF_ERR_GONE: 410,
  DF_ERR_TOO_LARGE: 413,
  DF_ERR_LOCKED: 423,
  DF_ERR_RATE_LIMITED: 429,
  DF_ERR_INTERNAL: 500,
  DF_ERR_UNAVAILABLE: 503,
  DF_ERR_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class DragonflyError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'DragonflyError';
    this.code = code;
    this.status = errorStatus[code];
    this.details = details;
  }
}

export function isDragonflyError(e: unknown, code?: ErrorCode): e is DragonflyError {
  return e instanceof DragonflyError && (code === undefined || e.code === code);
}

export const notFound = (what: string) => new DragonflyError('DF_ERR_NOT_FOUND', `${what} not found`);
export const invalid = (message: string, details?: unknown) => new DragonflyError('DF_ERR_INVALID', message, details);
export const conflict = (message: string) => new DragonflyError('DF_ERR_CONFLICT', message);
