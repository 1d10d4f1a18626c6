import { describe, expectTypeOf, it } from "vitest";
import type { call } from "../helpers/http";

// call()'s body type comes from the route table's response schemas (through src/lib/api-types.ts):
// these are checked by `npm run typecheck`, which fails when the typing stops working.
type Body<M extends "GET" | "POST" | "PATCH", P extends string> = Awaited<ReturnType<typeof call<never, M, P>>>["body"];

describe("call() is typed from the route's response schema", () => {
  it("names the operation from a path built with variables", () => {
    expectTypeOf<Body<"GET", `/api/v1/tickets/${string}`>["number"]>().toEqualTypeOf<number>();
    expectTypeOf<Body<"GET", "/api/v1/sla-policies">["data"]>().toBeArray();
  });

  it("reads a ticket as staff or customer see it as one object, fields of one view optional", () => {
    expectTypeOf<Body<"GET", `/api/v1/tickets/${string}`>["priority"]>().toEqualTypeOf<
      "low" | "normal" | "high" | "urgent" | undefined
    >();
  });

  it("prefers a literal segment to a parameter, and strips a query string", () => {
    expectTypeOf<Body<"GET", "/api/v1/tickets?limit=5">["data"]>().toBeArray();
  });

  it("keeps the error envelope beside the body", () => {
    expectTypeOf<Body<"POST", "/api/v1/tickets">["error"]["code"]>().toEqualTypeOf<string>();
  });

  it("falls back to any for a path it cannot name", () => {
    expectTypeOf<Body<"GET", string>>().toBeAny();
    expectTypeOf<Body<"GET", "/api/v1/no-such-thing">>().toBeAny();
  });
});
