import { describe, expect, it } from "vitest";
import { describeEvent } from "../../src/components/tickets/ticket-history";
import type { TicketEvent } from "../../src/server/tickets/ticket-events";

// Imported history (decision 061) reads as what the old helpdesk recorded, and says where it comes from.

const nameOf = (id: string | null | undefined) => (id ? `user ${id}` : "someone");
const sla = (action: string, data: Record<string, unknown>): TicketEvent => ({
  source: "sla",
  at: "2024-03-01T09:00:00.000Z",
  action,
  actorId: null,
  data,
  seq: null,
});
const imported = { imported: true, source: "zendesk" };

describe("imported SLA events and ratings in the ticket history", () => {
  it("an imported target names the source's policy and target, not Beacon's reasons", () => {
    expect(
      describeEvent(
        sla("sla.first_response.apply", { ...imported, policy: "High priority", targetMinutes: 60, dueAt: null }),
        nameOf,
      ),
    ).toBe("First response target set: policy “High priority”, 60 min (imported from Zendesk)");
    expect(
      describeEvent(
        sla("sla.resolution.apply", { imported: true, source: "freshdesk", dueAt: "2024-04-03T08:00:00.000Z" }),
        nameOf,
      ),
    ).toMatch(/^Resolution target set: due .+ \(imported from Freshdesk\)$/);
    expect(describeEvent(sla("sla.resolution.apply", { ...imported, reason: "reopened", dueAt: null }), nameOf)).toBe(
      "Resolution clock restarted (ticket reopened) (imported from Zendesk)",
    );
  });

  it("an imported breach, fulfilment and pause say so, without Beacon's warning or status wording", () => {
    expect(
      describeEvent(sla("sla.next_response.breach", { ...imported, dueAt: "2024-03-01T12:00:00.000Z" }), nameOf),
    ).toMatch(/^Next response target breached \(was due .+\) \(imported from Zendesk\)$/);
    expect(describeEvent(sla("sla.first_response.fulfill", { ...imported, dueAt: null }), nameOf)).toBe(
      "First response met (imported from Zendesk)",
    );
    expect(describeEvent(sla("sla.resolution.pause", { ...imported, dueAt: null }), nameOf)).toBe(
      "Resolution clock paused (imported from Zendesk)",
    );
    // Beacon's own events read as before.
    expect(describeEvent(sla("sla.resolution.pause", { status: "pending", dueAt: null }), nameOf)).toBe(
      "Resolution clock paused (status Pending)",
    );
  });

  it("an imported rating reads like a rating, with its source", () => {
    const e: TicketEvent = {
      source: "audit",
      at: "2024-03-05T12:00:00.000Z",
      action: "ticket.csat_imported",
      actorId: null,
      data: { rating: "bad", comment: "Nobody answers", source: "zendesk" },
      seq: 9,
    };
    expect(describeEvent(e, nameOf)).toBe(
      "The requester rated the support bad: “Nobody answers” (imported from Zendesk)",
    );
  });

  it("the import's own event names the source, the source's ticket id and what came with it", () => {
    const e = (data: Record<string, unknown>): TicketEvent => ({
      source: "audit",
      at: "2024-03-05T12:00:00.000Z",
      action: "ticket.imported",
      actorId: "a1",
      data,
      seq: 1,
    });
    expect(describeEvent(e({ source: "zendesk", sourceId: 4711, comments: 3, number: 12 }), nameOf)).toBe(
      "user a1 imported the ticket with 3 comments from Zendesk #4711",
    );
    expect(describeEvent(e({ source: "csv", sourceId: "ext-9", comments: 1 }), nameOf)).toBe(
      "user a1 imported the ticket with 1 comment from a CSV file #ext-9",
    );
    expect(describeEvent(e({ source: "beacon", sourceId: "0b1c" }), nameOf)).toBe(
      "user a1 imported the ticket from Beacon #0b1c",
    );
  });
});
