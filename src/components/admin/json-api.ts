// Same-origin JSON calls for the admin and account screens. The shared client in ../api-client.ts
// has no PUT (feature flags and org security need it); this one keeps its result and error shapes.
import { api, type ApiResult } from "../api-client";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

type ErrorBody = { error?: { code?: string; message?: string; details?: { issues?: { path?: unknown; message?: unknown }[] } } };

export async function callApi<T>(method: Method, url: string, body?: unknown): Promise<ApiResult<T>> {
  if (method !== "PUT") return api<T>(method, url, body);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { accept: "application/json", "content-type": "application/json" },
      body: JSON.stringify(body ?? {}),
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch {
    return { ok: false, error: { status: 0, code: "network", message: "Cannot reach Beacon. Check your connection and try again.", issues: [] } };
  }
  const json = (await res.json().catch(() => null)) as unknown;
  if (res.ok) return { ok: true, data: json as T };
  const e = (json as ErrorBody | null)?.error;
  const issues = (e?.details?.issues ?? []).map((i) => ({
    path: Array.isArray(i.path) ? i.path.join(".") : String(i.path ?? ""),
    message: String(i.message ?? ""),
  }));
  return { ok: false, error: { status: res.status, code: e?.code ?? "internal", message: e?.message ?? `Request failed (${res.status})`, issues } };
}
