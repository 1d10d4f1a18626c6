import "server-only";
import { AppError, type ErrorCode } from "../core/errors";
import { jsonResponse } from "./json-response";

/** A short, fixed summary per error code: a problem's title (RFC 9457 §3.1.3). */
export const ERROR_TITLE: Record<ErrorCode, string> = {
  validation_failed: "The request is invalid",
  invalid_cursor: "The cursor is invalid for this list",
  unauthenticated: "Authentication is required",
  forbidden: "Not allowed",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  conflict: "Conflict",
  idempotency_key_in_flight: "A request with this Idempotency-Key is still in progress",
  idempotency_key_reused: "This Idempotency-Key was used for another request",
  precondition_failed: "Precondition failed",
  payload_too_large: "Request body too large",
  unsupported_media_type: "Unsupported media type",
  rate_limited: "Too many requests",
  internal: "Internal error",
  feature_disabled: "Feature disabled",
  unavailable: "Temporarily unavailable",
};

/** A problem's type URI: a tag URI (RFC 4151), which RFC 9457 §3.1.1 suggests for types that are not meant to be dereferenced. */
export const problemType = (code: ErrorCode) => `tag:beacon,2026:problem:${code}`;

/**
 * The error envelope {"error":{code,message,details?}}, or, for a client that asked for them,
 * RFC 9457 problem details with the same code: {type,title,status,detail,code,requestId,details?}
 * as application/problem+json.
 */
export function errorResponse(err: AppError, opts: { requestId?: string; problem?: boolean } = {}): Response {
  if (opts.problem) {
    const problem: Record<string, unknown> = {
      type: problemType(err.code),
      title: ERROR_TITLE[err.code],
      status: err.status,
      detail: err.message,
      code: err.code,
      ...(opts.requestId ? { requestId: opts.requestId } : {}),
      ...(err.details !== undefined ? { details: err.details } : {}),
    };
    const headers = new Headers(err.headers);
    headers.set("Content-Type", "application/problem+json");
    return new Response(JSON.stringify(problem), { status: err.status, headers });
  }
  const body: { error: { code: string; message: string; details?: unknown } } = {
    error: { code: err.code, message: err.message },
  };
  if (err.details !== undefined) body.error.details = err.details;
  return jsonResponse(body, { status: err.status, headers: err.headers });
}
