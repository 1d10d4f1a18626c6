import { test as base } from "@playwright/test";

// An org per test (decision 049). `org` is a fresh copy of the Acme demo org under its own slug,
// made by the harness (scripts/test-e2e.ts, E2E_ORG_FACTORY) before the test starts: the same five
// people (admin, agent, agent2, customer, customer2 @<slug>.test, the demo password), the same
// seeded tickets, SLA policies, default rules and `support@<slug>.test`. What one test changes
// there (a feature switched off, a bouncing customer, a revoked session) no other test sees, so
// the specs run two workers at once. The shared demo seed (acme, globex) is still there for specs
// that only read it.

export type E2eOrg = {
  id: string;
  slug: string;
  /** "Acme Support <suffix>": unique, so a page showing it shows this org. */
  name: string;
  /** The address of one of the org's people, e.g. `org.email("agent")` → agent@e2e-1a2b3c4d5e.test. */
  email: (who: "admin" | "agent" | "agent2" | "customer" | "customer2") => string;
  /** The org's default support address, support@<slug>.test (mail sent there opens its tickets). */
  support: string;
};

/** A fresh org from the harness's factory; usable outside a test too (e.g. in beforeAll). */
export async function newOrg(): Promise<E2eOrg> {
  const factory = process.env.E2E_ORG_FACTORY;
  if (!factory) throw new Error("E2E_ORG_FACTORY is not set: run the specs through `npm run test:e2e`");
  const res = await fetch(`${factory}/orgs`, { method: "POST" });
  if (res.status !== 201) throw new Error(`the e2e org factory answered ${res.status}: ${await res.text()}`);
  const org = (await res.json()) as { id: string; slug: string; name: string };
  return { ...org, email: (who) => `${who}@${org.slug}.test`, support: `support@${org.slug}.test` };
}

export const test = base.extend<{ org: E2eOrg }>({
  // Its own time budget, apart from the test's: one insert transaction, but on a busy machine.
  org: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixture's dependencies from this pattern
    async ({}, provide) => {
      await provide(await newOrg());
    },
    { timeout: 60_000 },
  ],
});

export { expect } from "@playwright/test";
