import { beforeAll, describe, expect, it } from "vitest";
import { apiRoute } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";
import { beaconClient, ticketFlow } from "../contract/client-flow";

// The typed client generated from the OpenAPI document (openapi-typescript + openapi-fetch),
// running the flow an integrator would write against the real dispatcher (issue 20,
// docs/decisions/044-api-contract.md). The unit test compiles the same flow; this one shows the
// document's shapes are what the API sends: list filters as repeated parameters, If-Match, 412.

let w: World;
beforeAll(async () => {
  w = await createWorld();
});

const dispatch = (req: Request) => apiRoute[req.method as "GET"](req);

describe("a client generated from the document", () => {
  it("creates, comments, lists with filters, and updates with If-Match; the stale version is refused with 412", async () => {
    const client = beaconClient(
      "http://localhost",
      { cookie: w.agent.cookie, "x-forwarded-for": "127.0.0.1" },
      dispatch,
    );
    const r = await ticketFlow(client, "Printer on fire (client flow)");
    expect(r.created).toMatchObject({
      subject: "Printer on fire (client flow)",
      status: "new",
      priority: "urgent",
      tags: ["hardware"],
    });
    expect(r.listed).toContain(r.created.id);
    expect(r.nextCursor).toBeNull();
    expect(r.etag).toMatch(/^"\d+"$/);
    expect(r.updated).toMatchObject({ id: r.created.id, status: "pending", tags: ["fire", "hardware"] });
    expect(r.stale).toEqual({ status: 412, code: "precondition_failed" });
  });

  it("pages a filtered list with the cursor it was given, and is refused one reused with another filter", async () => {
    const client = beaconClient(
      "http://localhost",
      { cookie: w.agent.cookie, "x-forwarded-for": "127.0.0.1" },
      dispatch,
    );
    for (const s of ["one", "two", "three"])
      await client.POST("/api/v1/tickets", { body: { subject: `Paging ${s}`, body: "b", tags: ["paging"] } });
    const first = await client.GET("/api/v1/tickets", {
      params: { query: { tag: "paging", status: ["new"], limit: 2 } },
    });
    expect(first.data?.data).toHaveLength(2);
    const cursor = first.data!.nextCursor!;
    const second = await client.GET("/api/v1/tickets", {
      params: { query: { tag: "paging", status: ["new"], limit: 2, cursor } },
    });
    expect(second.data?.data).toHaveLength(1);
    expect(second.data?.nextCursor).toBeNull();
    const reused = await client.GET("/api/v1/tickets", {
      params: { query: { tag: "paging", status: ["new", "open"], limit: 2, cursor } },
    });
    expect(reused.response.status).toBe(400);
    expect(reused.error && "error" in reused.error ? reused.error.error.code : null).toBe("invalid_cursor");
  });
});
