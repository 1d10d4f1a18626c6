export const ERROR_STATUS = {
  validation_failed: 400,
  /** A list's cursor that is tampered with, or reused on another list, filter or sort. */
  invalid_cursor: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  /** A request with the same Idempotency-Key is still running (decision 043). */
  idempotency_key_in_flight: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  /** The Idempotency-Key was first used with another request (decision 043). */
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal: 500,
  feature_disabled: 503,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** An expected failure: the request wrapper answers it as {"error":{code,message,details?}}. */
export class AppError extends Error {
  constructor(
    public readonly code: ErrorCode,
    message: string,
    public readonly details?: unknown,
    public readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what = "resource") => new AppError("not_found", `${what} not found`);
export const forbidden = (message = "not allowed for your role") => new AppError("forbidden", message);
