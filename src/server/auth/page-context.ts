import "server-only";
import { randomUUID } from "node:crypto";
import { withTenant } from "../db/tenant";
import { admitByEnv, admitCaller, admitClient, type Admission } from "../ratelimit/admission";
import { clientIp } from "../ratelimit/client-ip";
import type { Ctx } from "../http/route";
import type { PageUser } from "./page-session";

/** The API's admission for a page's work, with the page request's headers (for the client IP). */
export type PageAdmission<Q> = Admission<Q> & { headers: Headers };

/**
 * Runs domain functions for a server component: the same tenant transaction (RLS as beacon_app,
 * app.org_id set) and the same Ctx the API's request wrapper builds, so pages and API share every
 * rule. `query` is the parsed input a list function expects (e.g. ZListTickets.parse({...})).
 * With `admission`, the page passes the API's admission first (src/server/http/admission.ts: IP
 * and user budgets, feature switch, named budget such as search) and throws the same AppError
 * (rate_limited, feature_disabled) the API would answer with; the page shows it as a message.
 */
export async function withPageContext<T, Q = unknown>(
  user: PageUser,
  query: Q,
  fn: (ctx: Ctx<Q>) => Promise<T>,
  admission?: PageAdmission<Q>,
): Promise<T> {
  const requestId = randomUUID();
  const ip = admission ? clientIp(admission.headers) : "page";
  if (admission) {
    await admitClient({ ip, requestId });
    admitByEnv(admission, query, true);
  }
  return withTenant(user.orgId, async (tx) => {
    if (admission) await admitCaller(admission, { tx, user, requestId, query }, { consumeLimits: true });
    return fn({
      requestId,
      req: new Request("http://page.internal/"),
      ip,
      user,
      org: { id: user.orgId },
      tx,
      query,
      params: undefined,
    });
  });
}
