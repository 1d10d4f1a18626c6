import "server-only";
import FindMyWay from "find-my-way";
import type { RawParams } from "../http/route";
import type { ApiOperation, Method } from "./operation";

// Method + path → operation, with find-my-way (fastify's radix-tree router). The Next catch-all
// and the standalone API server (performance issue) both match through this, over the same table.

export const METHODS: readonly Method[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

export type Match =
  | { kind: "operation"; operation: ApiOperation; params: RawParams }
  /** The path exists, the method does not: the methods it has, for Allow. */
  | { kind: "wrong_method"; allow: Method[] }
  | { kind: "none" };

export type Router = { match: (method: string, pathname: string) => Match };

/** "/api/v1/webhooks/{id}" → "/api/v1/webhooks/:id" (find-my-way's parameter syntax). */
const toRouterPath = (openApiPath: string) => openApiPath.replace(/\{(\w+)\}/g, ":$1");

export function createRouter(operations: readonly ApiOperation[]): Router {
  // An id of any length reaches the operation's params schema and gets its 400, as a route file's
  // segment does; find-my-way would otherwise treat a parameter over 100 characters as no match.
  const fmw = FindMyWay({ maxParamLength: 16_384 });
  for (const op of operations) {
    if (fmw.hasRoute(op.method, toRouterPath(op.path)))
      throw new Error(`route table: ${op.method} ${op.path} is defined twice`);
    fmw.on(op.method, toRouterPath(op.path), () => undefined, op);
  }
  return {
    match(method, pathname) {
      // HEAD is answered by GET, as Next does for a route file that exports GET.
      const asMethod = method === "HEAD" ? "GET" : method;
      const found = (METHODS as readonly string[]).includes(asMethod) ? fmw.find(asMethod as Method, pathname) : null;
      if (found) return { kind: "operation", operation: found.store as ApiOperation, params: found.params };
      const allow = METHODS.filter((m) => fmw.find(m, pathname) !== null);
      return allow.length ? { kind: "wrong_method", allow } : { kind: "none" };
    },
  };
}
