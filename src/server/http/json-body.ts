import "server-only";
import { AppError } from "../core/errors";
import { readBodyLimited } from "../core/read-body";
import type { ApiRequest } from "../core/api-request";

export const MAX_JSON_BYTES = 1024 * 1024;

/**
 * Reads a JSON request body, refusing non-JSON media types (415), bodies over MAX_JSON_BYTES
 * (413, checked while streaming, not after buffering everything) and malformed JSON (400).
 */
export async function readJsonBody(req: ApiRequest): Promise<unknown> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw new AppError("unsupported_media_type", "send the body as application/json");
  }
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_JSON_BYTES) throw tooLarge();
  const text = (await readBodyLimited(req, MAX_JSON_BYTES, tooLarge)).toString("utf8");
  if (text.trim() === "") throw new AppError("validation_failed", "request body is empty; send a JSON object");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError("validation_failed", "request body is not valid JSON");
  }
}

const tooLarge = () => new AppError("payload_too_large", `request body exceeds ${MAX_JSON_BYTES} bytes`);
