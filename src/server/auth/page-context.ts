import "server-only";
import { randomUUID } from "node:crypto";
import { withTenant } from "../db/tenant";
import type { Ctx } from "../http/route";
import type { PageUser } from "./page-session";

/**
 * Runs domain functions for a server component: the same tenant transaction (RLS as beacon_app,
 * app.org_id set) and the same Ctx the API's request wrapper builds, so pages and API share every
 * rule. `query` is the parsed input a list function expects (e.g. ZListTickets.parse({...})).
 */
export function withPageContext<T, Q = unknown>(user: PageUser, query: Q, fn: (ctx: Ctx<Q>) => Promise<T>): Promise<T> {
  return withTenant(user.orgId, (tx) =>
    fn({
      requestId: randomUUID(),
      req: new Request("http://page.internal/"),
      ip: "page",
      user,
      org: { id: user.orgId },
      tx,
      query,
      params: undefined,
    }),
  );
}
