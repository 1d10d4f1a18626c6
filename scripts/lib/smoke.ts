// The release smoke test against a running Beacon: readiness, token grant, ticket create, comment,
// read back; every step with its status and latency. Uses only fetch, no app code, so it tests
// the deployed instance and not this checkout.

export type SmokeStep = { step: string; status: number | null; ms: number | null; ok: boolean | null; detail: string };

export type SmokeOptions = { baseUrl: string; email?: string; password?: string; org?: string; timeoutMs?: number };

async function call(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; timeoutMs: number },
) {
  const headers: Record<string, string> = { accept: "application/json" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const started = performance.now();
  const res = await fetch(new URL(path, base), {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(opts.timeoutMs),
    redirect: "manual",
  });
  const text = await res.text();
  const ms = Math.round(performance.now() - started);
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, ms, json, requestId: res.headers.get("x-request-id") };
}

const errorOf = (json: Record<string, unknown> | undefined) => {
  const e = json?.error as { code?: string; message?: string } | undefined;
  return e ? `${e.code ?? "error"}: ${e.message ?? ""}`.trim() : "no JSON error body";
};

export async function runSmoke(o: SmokeOptions): Promise<SmokeStep[]> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const steps: SmokeStep[] = [];
  const skipRest = (names: string[], why: string) => {
    for (const step of names) steps.push({ step, status: null, ms: null, ok: null, detail: `not run: ${why}` });
  };
  const names = [
    "POST /api/v1/auth/token",
    "POST /api/v1/tickets",
    "POST /api/v1/tickets/:id/comments",
    "GET /api/v1/tickets/:id",
  ];

  const attempt = async (step: string, fn: () => Promise<SmokeStep>): Promise<SmokeStep> => {
    try {
      return await fn();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why =
        e.name === "TimeoutError"
          ? `no answer within ${timeoutMs} ms`
          : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ""}`;
      return { step, status: null, ms: null, ok: false, detail: `request failed: ${why}` };
    }
  };

  const ready = await attempt("GET /readyz", async () => {
    const r = await call(o.baseUrl, "GET", "/readyz", { timeoutMs });
    const migrations = r.json?.migrations as { pending?: number } | undefined;
    return {
      step: "GET /readyz",
      status: r.status,
      ms: r.ms,
      ok: r.status === 200,
      detail:
        r.status === 200
          ? `ready, ${migrations?.pending ?? "?"} pending migrations`
          : `${String(r.json?.status ?? "not ready")}`,
    };
  });
  steps.push(ready);
  if (ready.status === null) {
    skipRest(names, "the instance did not answer");
    return steps;
  }
  if (!o.email || !o.password) {
    skipRest(names, "no --email/--password given");
    return steps;
  }

  let token: string | undefined;
  steps.push(
    await attempt(names[0]!, async () => {
      const r = await call(o.baseUrl, "POST", "/api/v1/auth/token", {
        body: { email: o.email, password: o.password, ...(o.org ? { org: o.org } : {}) },
        timeoutMs,
      });
      token = r.status === 201 && typeof r.json?.token === "string" ? r.json.token : undefined;
      return {
        step: names[0]!,
        status: r.status,
        ms: r.ms,
        ok: !!token,
        detail: token ? `token for ${o.email}` : errorOf(r.json),
      };
    }),
  );
  if (!token) {
    skipRest(names.slice(1), "no token");
    return steps;
  }

  const subject = `release-check smoke ${new Date().toISOString()}`;
  let id: string | undefined;
  steps.push(
    await attempt(names[1]!, async () => {
      const r = await call(o.baseUrl, "POST", "/api/v1/tickets", {
        token,
        timeoutMs,
        body: { subject, body: "Created by `npm run release:check` to smoke-test a release. Safe to close." },
      });
      id = r.status === 201 && typeof r.json?.id === "string" ? r.json.id : undefined;
      return {
        step: names[1]!,
        status: r.status,
        ms: r.ms,
        ok: !!id,
        detail: id ? `ticket #${String(r.json?.number)} (${id})` : errorOf(r.json),
      };
    }),
  );
  if (!id) {
    skipRest(names.slice(2), "no ticket");
    return steps;
  }
  steps.push(
    await attempt(names[2]!, async () => {
      const r = await call(o.baseUrl, "POST", `/api/v1/tickets/${id}/comments`, {
        token,
        timeoutMs,
        body: { body: "release-check smoke comment" },
      });
      return {
        step: names[2]!,
        status: r.status,
        ms: r.ms,
        ok: r.status === 201,
        detail: r.status === 201 ? `comment ${String(r.json?.id)}` : errorOf(r.json),
      };
    }),
  );
  steps.push(
    await attempt(names[3]!, async () => {
      const r = await call(o.baseUrl, "GET", `/api/v1/tickets/${id}`, { token, timeoutMs });
      const same = r.status === 200 && r.json?.subject === subject;
      return {
        step: names[3]!,
        status: r.status,
        ms: r.ms,
        ok: same,
        detail: same
          ? "read back, same subject"
          : r.status === 200
            ? `subject differs: ${String(r.json?.subject)}`
            : errorOf(r.json),
      };
    }),
  );
  return steps;
}
