import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/server/api/openapi";
import { openApiWebhooks } from "../../src/server/api/openapi-webhooks";
import { WEBHOOK_EVENTS } from "../../src/server/webhooks/manage-webhooks";

// Every webhook event, its payload schema, headers and signature scheme are in the OpenAPI document
// (issue 20 "Webhooks", decision 043); the payloads themselves are checked against these schemas in
// tests/integration/webhook-snapshots.test.ts.

type Hook = {
  post: {
    parameters: { name: string; in: string; required: boolean; description: string }[];
    requestBody: { content: Record<string, { schema: { required?: string[]; properties: Record<string, unknown> } }> };
    responses: Record<string, unknown>;
  };
};

describe("webhooks in the OpenAPI document", () => {
  const doc = openApiDocument() as Record<string, unknown>;
  const hooks = (doc.webhooks ?? doc["x-webhooks"]) as Record<string, Hook>;

  it("lists every event a webhook can subscribe to, and the automation rule's call", () => {
    expect(Object.keys(hooks).sort()).toEqual([...WEBHOOK_EVENTS, "automation.rule"].sort());
  });

  it("documents the signature, timestamp, delivery and event headers and the signing scheme", () => {
    for (const [event, hook] of Object.entries(hooks)) {
      const names = hook.post.parameters.filter((p) => p.in === "header" && p.required).map((p) => p.name);
      expect(names, event).toEqual(["X-Beacon-Signature", "X-Beacon-Timestamp", "X-Beacon-Delivery", "X-Beacon-Event"]);
      expect(hook.post.parameters[0]!.description).toMatch(/HMAC-SHA256.*<X-Beacon-Timestamp>\.<raw request body>/);
      expect(Object.keys(hook.post.responses)).toEqual(["2XX"]);
    }
  });

  it("each payload requires id, eventId, event, occurredAt, the actor and the ticket; an assignment requires changes", () => {
    for (const [event, hook] of Object.entries(hooks)) {
      const s = hook.post.requestBody.content["application/json"]!.schema;
      expect(s.required, event).toEqual(
        expect.arrayContaining(["id", "eventId", "event", "occurredAt", "actor", "ticket"]),
      );
    }
    expect(hooks["ticket.assigned"]!.post.requestBody.content["application/json"]!.schema.required).toContain(
      "changes",
    );
  });

  it("is `webhooks` in a 3.1 document and `x-webhooks` in a 3.0 one", () => {
    expect(Object.keys(openApiWebhooks("3.1.0"))).toEqual(["webhooks"]);
    expect(Object.keys(openApiWebhooks("3.0.3"))).toEqual(["x-webhooks"]);
    expect(doc.webhooks ?? doc["x-webhooks"]).toBeDefined();
  });
});
