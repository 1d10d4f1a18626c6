import { describe, expect, it } from "vitest";
import { queuesNothing } from "../../src/server/automation/fire-batch";
import type { Action } from "../../src/server/automation/rule-schemas";

// A time-rule batch commits without waiting for its WAL flush only when a crash that loses it can
// have sent nothing (decision 058): its rules change tags alone. Any other action may queue a job.
const rule = (...actions: Action[]) => ({ actions });

describe("which time-rule batches commit asynchronously", () => {
  it("tag changes alone queue nothing", () => {
    expect(
      queuesNothing([rule({ type: "add_tags", value: ["aged"] }), rule({ type: "remove_tags", value: ["new"] })]),
    ).toBe(true);
  });

  it("a status change, an email, a note or a webhook in any rule of the batch makes it wait", () => {
    const tag: Action = { type: "add_tags", value: ["aged"] };
    const others: Action[] = [
      { type: "set_status", value: "closed" },
      { type: "email_requester", subject: "Still there?", body: "Hi {{requester.first_name}}" },
      { type: "add_note", body: "Aged out" },
      { type: "webhook", webhookId: "00000000-0000-4000-8000-000000000000" },
    ];
    for (const other of others) {
      expect(queuesNothing([rule(tag), rule(tag, other)]), other.type).toBe(false);
    }
  });
});
