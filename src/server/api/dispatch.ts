import "server-only";
import { z } from "zod";
import { AppError } from "../core/errors";
import { serve, type Run } from "../http/route";
import type { ApiRequest } from "../core/api-request";
import { createRouter, type Router } from "./router";
import { TABLE } from "./table";

const ANY_QUERY = z.unknown();

// The one handler for /api/v1: match the route table, then run the operation through the same
// request wrapper route() uses. A path the table does not have is the API's JSON 404, a method it
// does not have there a JSON 405 with Allow, both in the error envelope with X-Request-Id.

let router: Router | undefined;

export async function dispatch(req: ApiRequest): Promise<Response> {
  router ??= createRouter(TABLE);
  const match = router.match(req.method, new URL(req.url).pathname);
  if (match.kind === "operation") return match.operation.serve(req, match.params);
  const refuse: Run<undefined, unknown, undefined> = async () => {
    if (match.kind === "wrong_method") {
      throw new AppError(
        "method_not_allowed",
        `${req.method} is not allowed here`,
        { allow: match.allow },
        { Allow: match.allow.join(", ") },
      );
    }
    throw new AppError("not_found", "no such API endpoint");
  };
  // Unmatched paths share one metrics label, so probing random paths cannot grow the label set.
  // Whatever query or body came with them, the answer is the 404 or 405.
  return serve({ query: ANY_QUERY, readsBody: true }, refuse, req, async () => ({}), "unmatched");
}
