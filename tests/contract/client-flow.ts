import createClient, { type Client } from "openapi-fetch";
import type { components, paths } from "../../src/lib/api-types";

// What an integrator writes with a client generated from the OpenAPI document (openapi-typescript
// types + openapi-fetch): open a ticket, reply, list with filters, then change it with If-Match.
// `npm run typecheck` compiles it against src/lib/api-types.ts, which tests/unit/openapi-contract.test.ts
// keeps equal to what the document generates, so a document that drifts from the API breaks the build;
// tests/integration/api-client-flow.test.ts runs it against the real dispatcher.

export type BeaconClient = Client<paths>;
export type Ticket = components["schemas"]["TicketForCaller"];

export function beaconClient(
  baseUrl: string,
  headers: Record<string, string>,
  fetch?: (req: Request) => Promise<Response>,
): BeaconClient {
  return createClient<paths>({ baseUrl, headers, ...(fetch ? { fetch } : {}) });
}

export type FlowResult = {
  created: Ticket;
  commentId: string;
  listed: string[];
  nextCursor: string | null;
  etag: string;
  updated: Ticket;
  stale: { status: number; code: string };
};

const fail = (what: string, error: unknown): never => {
  throw new Error(`${what}: ${JSON.stringify(error)}`);
};

export async function ticketFlow(client: BeaconClient, subject: string): Promise<FlowResult> {
  const created = await client.POST("/api/v1/tickets", {
    body: { subject, body: "The printer on floor 3 is on fire.", priority: "urgent", tags: ["hardware"] },
  });
  if (!created.data) return fail("createTicket", created.error);
  const id: string = created.data.id;

  const comment = await client.POST("/api/v1/tickets/{id}/comments", {
    params: { path: { id } },
    body: { body: "On it.", internal: true },
  });
  if (!comment.data) return fail("addComment", comment.error);
  const internal: boolean = comment.data.internal;
  if (!internal) fail("addComment", "the note is not internal");

  const list = await client.GET("/api/v1/tickets", {
    params: {
      query: { status: ["new", "open"], priority: ["urgent", "high"], tag: "hardware", sort: "-createdAt", limit: 10 },
    },
  });
  if (!list.data) return fail("listTickets", list.error);

  const got = await client.GET("/api/v1/tickets/{id}", { params: { path: { id } } });
  if (!got.data) return fail("getTicket", got.error);
  const etag = got.response.headers.get("ETag") ?? fail("getTicket", "no ETag");

  const updated = await client.PATCH("/api/v1/tickets/{id}", {
    params: { path: { id }, header: { "If-Match": etag } },
    body: { status: "pending", tags: ["hardware", "fire"] },
  });
  if (!updated.data) return fail("updateTicket", updated.error);

  // The version the first change replaced: refused, with the error envelope the document describes.
  const stale = await client.PATCH("/api/v1/tickets/{id}", {
    params: { path: { id }, header: { "If-Match": etag } },
    body: { status: "open" },
  });
  const code = stale.error && "error" in stale.error ? stale.error.error.code : "none";

  return {
    created: created.data,
    commentId: comment.data.id,
    listed: list.data.data.map((t) => t.id),
    nextCursor: list.data.nextCursor,
    etag,
    updated: updated.data,
    stale: { status: stale.response.status, code },
  };
}

/** Never called: what the types must refuse, so a document that loosens them fails the typecheck. */
export function refusedByTheTypes(client: BeaconClient, id: string): void {
  // @ts-expect-error "done" is not a ticket status
  void client.PATCH("/api/v1/tickets/{id}", { params: { path: { id } }, body: { status: "done" } });
  // @ts-expect-error the ticket list has no such filter
  void client.GET("/api/v1/tickets", { params: { query: { colour: "red" } } });
  // @ts-expect-error a ticket needs a subject
  void client.POST("/api/v1/tickets", { body: { body: "no subject" } });
  // @ts-expect-error no such operation
  void client.GET("/api/v1/ticket");
}
