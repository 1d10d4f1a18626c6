import "server-only";
import { randomUUID } from "node:crypto";
import type { Scope } from "../core/scope";
import { withTenant } from "../db/tenant";
import { admitByEnv, admitCaller, admitClient, type Admission } from "../ratelimit/admission";
import { clientIp } from "../ratelimit/client-ip";
import type { PageUser } from "./page-session";

/**
 * The API's admission for a page's work: the page request's headers (for the client IP) and the
 * parsed input the admission rules look at (e.g. a search in ZListTickets.parse({...})).
 */
export type PageAdmission<Q> = Admission<Q> & { headers: Headers; query: Q };

/**
 * Runs domain functions for a server component with the Scope the API's request wrapper gives
 * them: the same tenant transaction (RLS as beacon_app, app.org_id set), the signed-in user and a
 * request id, so pages and API share every rule. A page passes its input to each function as an
 * argument, as a route does. With `admission`, the page first passes the API's admission
 * (src/server/ratelimit/admission.ts: IP and user budgets, feature switch, named budget such as
 * search) and throws the same AppError (rate_limited, feature_disabled) the API would answer with;
 * the page shows it as a message.
 */
export async function withPageContext<T, Q = undefined>(
  user: PageUser,
  fn: (scope: Scope) => Promise<T>,
  admission?: PageAdmission<Q>,
): Promise<T> {
  const requestId = randomUUID();
  if (admission) {
    await admitClient({ ip: clientIp(admission.headers), requestId });
    admitByEnv(admission, admission.query, true);
  }
  return withTenant(user.orgId, async (tx) => {
    if (admission)
      await admitCaller(admission, { tx, user, requestId, query: admission.query }, { consumeLimits: true });
    return fn({ tx, user, requestId });
  });
}
