import { describe, expect, it } from "vitest";
import { rebaseTagsText } from "../../src/lib/ticket-labels";

// The ticket page's tags field when another agent's tag change arrives live while this agent is
// typing (CI run of 2026-12-07: the arriving tags replaced what the agent had typed, and the
// agent's Enter then saved nothing).

describe("rebaseTagsText", () => {
  it("keeps what the agent added on top of the newer tags", () => {
    expect(rebaseTagsText("urgent-customer", [], ["printer"])).toBe("printer, urgent-customer");
  });

  it("keeps what the agent removed removed, and the other agent's additions", () => {
    expect(rebaseTagsText("vip", ["vip", "billing"], ["vip", "billing", "printer"])).toBe("vip, printer");
  });

  it("without an edit, shows the newer tags as they are", () => {
    expect(rebaseTagsText("vip, billing", ["vip", "billing"], ["printer"])).toBe("printer");
    expect(rebaseTagsText("", [], [])).toBe("");
  });

  it("an addition the newer tags already have is not doubled", () => {
    expect(rebaseTagsText("Printer", [], ["printer"])).toBe("printer");
  });
});
