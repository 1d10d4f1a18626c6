import { describe, expect, it } from "vitest";
import { TICKET_PRIORITIES, TICKET_STATUSES } from "../../src/server/db/schema/enums";
import {
  assertNotFinal,
  customerMayMove,
  FINISHED_STATUSES,
  isFinal,
  isFinished,
  OPEN_STATUSES,
  PRIORITIES,
  statusAfterComment,
} from "../../src/server/lifecycle/ticket-lifecycle";

// The one ticket lifecycle (issue 15 item 4): the sets partition the statuses, and each transition
// by event and role is the one SPEC §4–§5 describe.

describe("ticket lifecycle", () => {
  it("splits every status into open or finished, once, and orders every priority", () => {
    expect([...OPEN_STATUSES, ...FINISHED_STATUSES].sort()).toEqual([...TICKET_STATUSES].sort());
    expect(new Set([...OPEN_STATUSES, ...FINISHED_STATUSES]).size).toBe(TICKET_STATUSES.length);
    expect([...PRIORITIES].sort()).toEqual([...TICKET_PRIORITIES].sort());
    expect(PRIORITIES[0]).toBe("urgent");
    for (const s of TICKET_STATUSES) expect(isFinished(s)).toBe(s === "solved" || s === "closed");
    for (const s of TICKET_STATUSES) expect(isFinal(s)).toBe(s === "closed");
  });

  it("moves a ticket on a public comment: staff open a new one, the customer reopens pending or solved", () => {
    const table = TICKET_STATUSES.map((s) => [
      s,
      statusAfterComment(s, { staff: true, internal: false }) ?? "-",
      statusAfterComment(s, { staff: false, internal: false }) ?? "-",
      statusAfterComment(s, { staff: true, internal: true }) ?? "-",
    ]);
    expect(table).toEqual([
      ["new", "open", "-", "-"],
      ["open", "-", "-", "-"],
      ["pending", "-", "open", "-"],
      ["on_hold", "-", "-", "-"],
      ["solved", "-", "open", "-"],
      ["closed", "-", "-", "-"],
    ]);
  });

  it("lets a customer solve or reopen a solved ticket, nothing else", () => {
    const allowed = TICKET_STATUSES.flatMap((from) =>
      TICKET_STATUSES.filter((to) => customerMayMove(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed.sort()).toEqual([...TICKET_STATUSES.map((from) => `${from}->solved`), "solved->open"].sort());
    expect(customerMayMove("open", "pending")).toBe(false);
    expect(customerMayMove("pending", "open")).toBe(false);
  });

  it("refuses any write to a closed ticket with a 409 in the operation's words", () => {
    expect(() => assertNotFinal("solved")).not.toThrow();
    expect(() => assertNotFinal("closed")).toThrow(
      expect.objectContaining({ code: "conflict", message: "closed tickets are final and cannot be changed" }),
    );
    expect(() => assertNotFinal("closed", "closed tickets are final; open a new ticket instead")).toThrow(
      "open a new ticket instead",
    );
  });
});
