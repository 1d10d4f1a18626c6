import { describe, expect, it } from "vitest";
import { safeCallbackUrl } from "../../src/components/login-form";

// Issue 18.3: the callbackUrl after sign-in must stay on this origin. The old check looked at
// the raw string and returned the normalised one, so dot segments produced "//evil.example".
// Each answer is resolved the way the browser resolves window.location.assign(answer) on /login.

const APP = "http://app.test";
const landsOn = (answer: string) => new URL(answer, `${APP}/login?callbackUrl=x`);

const HOSTILE = [
  "/.//evil.example",
  "/..//evil.example",
  "/./\\evil.example",
  "/a/..//evil.example",
  "/a/b/../..//evil.example/phish",
  "/.//127.0.0.1:39111/phish",
  "//evil",
  "///evil",
  "/\\evil",
  "\\\\evil",
  "\\/evil",
  "/\t/evil",
  "/\n/evil",
  "/\r\n/evil",
  "\t//evil",
  " //evil",
  "/%2F%2Fevil.example",
  "/%2f/evil.example",
  "/%5Cevil.example",
  "/%5C%5Cevil.example",
  "/.%2F%2Fevil.example",
  "https://evil",
  "http:evil",
  "javascript:alert(1)",
  "JavaScript:alert(1)",
  "/javascript:alert(1)//",
  "data:text/html,<script>alert(1)</script>",
  "",
  null,
  undefined,
];

describe("safeCallbackUrl", () => {
  it.each(HOSTILE.map((h) => [JSON.stringify(h), h] as const))("refuses %s", (_label, raw) => {
    const answer = safeCallbackUrl(raw);
    expect(landsOn(answer).origin).toBe(APP);
    // Everything in this family is either refused outright or reduced to a same-origin path.
    expect(answer.startsWith("/") && !answer.startsWith("//") && !answer.startsWith("/\\")).toBe(true);
  });

  it("reduces the dot-segment family to the home page", () => {
    for (const raw of [
      "/.//evil.example",
      "/..//evil.example",
      "/./\\evil.example",
      "/a/..//evil.example",
      "/%2F%2Fevil.example",
    ]) {
      expect(safeCallbackUrl(raw), raw).toBe("/");
    }
  });

  it("keeps ordinary app paths with their query and fragment", () => {
    for (const p of [
      "/",
      "/tickets",
      "/tickets/0b0e8c1e-1111-4222-8333-944445555666?tab=history#c-3",
      "/admin/users?q=a%20b",
      "/tickets/../admin",
    ]) {
      const answer = safeCallbackUrl(p);
      expect(landsOn(answer).origin).toBe(APP);
      expect(answer).toBe(new URL(p, APP).pathname + new URL(p, APP).search + new URL(p, APP).hash);
    }
  });
});
