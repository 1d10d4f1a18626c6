import { describe, expect, it } from "vitest";
import { draftOf, keyFromLabel, readDraft, sameValue, shownValue } from "@/lib/custom-fields";
import { describeFailure } from "@/components/api-client";

// What the new-ticket form and the side panel send for what a person typed (decision 050).

const def = (type: string) => ({ type, label: "Seats" });

describe("readDraft", () => {
  it.each([
    ["text", "  churn risk ", "churn risk"],
    ["textarea", "line one\nline two", "line one\nline two"],
    ["integer", "12", 12],
    ["integer", "1 000", 1000],
    ["decimal", "2.5", 2.5],
    ["date", "2026-12-07", "2026-12-07"],
    ["dropdown", "pro", "pro"],
  ])("%s %j → %j", (type, text, value) => {
    expect(readDraft(def(type), text)).toEqual({ value });
  });

  it.each(["text", "textarea", "integer", "decimal", "date", "dropdown"])("an empty %s is no value", (type) => {
    expect(readDraft(def(type), "   ")).toEqual({ value: null });
  });

  it("a checkbox always has a value; a multi-select with nothing ticked has none", () => {
    expect(readDraft(def("checkbox"), true)).toEqual({ value: true });
    expect(readDraft(def("checkbox"), false)).toEqual({ value: false });
    expect(readDraft(def("multiselect"), ["a", "b"])).toEqual({ value: ["a", "b"] });
    expect(readDraft(def("multiselect"), [])).toEqual({ value: null });
  });

  it("refuses in words what is not a number or a date, instead of sending null (which would clear the value)", () => {
    expect(readDraft(def("integer"), "ten")).toEqual({ error: "Seats must be a number." });
    expect(readDraft(def("integer"), "2.5")).toEqual({ error: "Seats must be a whole number." });
    expect(readDraft(def("decimal"), "1,5")).toEqual({ error: "Seats must be a number." });
    expect(readDraft(def("date"), "07/12/2026")).toEqual({ error: "Seats must be a date (YYYY-MM-DD)." });
  });
});

describe("draftOf and shownValue", () => {
  it("round-trips stored values through the inputs", () => {
    expect(draftOf(def("integer"), 12)).toBe("12");
    expect(draftOf(def("checkbox"), undefined)).toBe(false);
    expect(draftOf(def("multiselect"), ["a"])).toEqual(["a"]);
    expect(draftOf(def("dropdown"), undefined)).toBe("");
    expect(shownValue(undefined)).toBe("—");
    expect(shownValue(false)).toBe("No");
    expect(shownValue(["a", "b"])).toBe("a, b");
    expect(sameValue(undefined, null)).toBe(true);
    expect(sameValue(["a"], ["a", "b"])).toBe(false);
  });
});

describe("describeFailure", () => {
  it("says a custom field's solve refusal once, not the message and then the same issue again", () => {
    const msg = "customFields.risk: is required to solve the ticket (Risk)";
    expect(
      describeFailure({
        status: 400,
        code: "validation_failed",
        message: msg,
        issues: [{ path: "customFields.risk", message: "is required to solve the ticket (Risk)" }],
      }),
    ).toBe("CustomFields.risk: is required to solve the ticket (Risk).");
  });

  it("still adds issues the message does not name", () => {
    expect(
      describeFailure({
        status: 400,
        code: "validation_failed",
        message: "invalid body",
        issues: [{ path: "key", message: "already taken" }],
      }),
    ).toBe("Invalid body (key: already taken).");
  });
});

describe("versionOfEtag", () => {
  it("reads the version the API's ETag carries, and nothing from what is not one", async () => {
    const { versionOfEtag } = await import("@/components/tickets/ticket-version");
    expect(versionOfEtag('"7"')).toBe(7);
    expect(versionOfEtag('W/"12"')).toBe(12);
    expect(versionOfEtag("7")).toBeNull();
    expect(versionOfEtag(undefined)).toBeNull();
  });
});

describe("keyFromLabel", () => {
  it.each([
    ["Plan", "plan"],
    ["Résumé plan #2", "resume_plan_2"],
    ["2nd contact", "nd_contact"],
    ["!!!", ""],
    ["a".repeat(39) + " b", "a".repeat(39)],
  ])("%j → %j", (label, key) => {
    expect(keyFromLabel(label)).toBe(key);
    if (key) expect(key).toMatch(/^[a-z][a-z0-9_]{0,39}$/);
  });
});
