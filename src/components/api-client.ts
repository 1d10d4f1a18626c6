// Same-origin JSON calls to /api/v1 from client components (the session cookie authenticates).

export type ApiIssue = { path: string; message: string };
export type ApiFailure = { status: number; code: string; message: string; issues: ApiIssue[] };
/** A success carries the resource's ETag when the API gave one (tickets, users, SLA policies, webhooks: decision 038/043). */
export type ApiResult<T> = { ok: true; data: T; etag?: string } | { ok: false; error: ApiFailure };

/** Request options: If-Match with the ETag of the version a change is based on (a 412 when it is no longer current). */
export type ApiOptions = { ifMatch?: string };

type ErrorBody = {
  error?: { code?: string; message?: string; details?: { issues?: { path?: unknown; message?: unknown }[] } };
};

export async function api<T>(
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  url: string,
  body?: unknown,
  options: ApiOptions = {},
): Promise<ApiResult<T>> {
  let res: Response;
  const headers: Record<string, string> =
    body === undefined
      ? { accept: "application/json" }
      : { accept: "application/json", "content-type": "application/json" };
  if (options.ifMatch) headers["if-match"] = options.ifMatch;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch {
    return {
      ok: false,
      error: {
        status: 0,
        code: "network",
        message: "Cannot reach Beacon. Check your connection and try again.",
        issues: [],
      },
    };
  }
  if (res.status === 204) return { ok: true, data: undefined as T };
  const json = (await res.json().catch(() => null)) as unknown;
  if (res.ok)
    return { ok: true, data: json as T, ...(res.headers.get("etag") ? { etag: res.headers.get("etag")! } : {}) };
  const e = (json as ErrorBody | null)?.error;
  const issues = (e?.details?.issues ?? []).map((i) => ({
    path: Array.isArray(i.path) ? i.path.join(".") : String(i.path ?? ""),
    message: String(i.message ?? ""),
  }));
  return {
    ok: false,
    error: {
      status: res.status,
      code: e?.code ?? "internal",
      message: e?.message ?? `Request failed (${res.status})`,
      issues,
    },
  };
}

/** One sentence for a person: the API's message, plus field issues when there are any. */
export function describeFailure(e: ApiFailure): string {
  if (e.status === 401) return "Your session has ended. Sign in again to continue.";
  if (e.status === 429) return "Too many requests right now. Wait a moment and try again.";
  const first = e.message ? e.message.charAt(0).toUpperCase() + e.message.slice(1) : "Something went wrong";
  const parts = e.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  // Some messages already are the issues in words (a custom field required to solve): say them once.
  const detail = parts.length && !parts.every((p) => e.message.includes(p)) ? ` (${parts.join("; ")})` : "";
  return `${first}${detail}.`.replace(/\.\.$/, ".");
}
