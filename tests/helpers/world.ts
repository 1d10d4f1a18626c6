import { unsafeWithSystem } from "../../src/server/db/tenant";
import { slaPolicies } from "../../src/server/db/schema/sla";
import { createOrg, createUser, sessionCookie, type TestOrg, type TestUser } from "./factories";

export type Actor = TestUser & { cookie: string };
export type World = {
  org: TestOrg;
  admin: Actor;
  agent: Actor;
  agent2: Actor;
  customer: Actor;
  customer2: Actor;
};

async function actor(org: TestOrg, role: TestUser["role"]): Promise<Actor> {
  const u = await createUser(org, { role });
  return { ...u, cookie: await sessionCookie(u) };
}

/** An org with one user of each kind and wall-clock SLA policies for every priority. */
export async function createWorld(): Promise<World> {
  const org = await createOrg();
  const [admin, agent, agent2, customer, customer2] = await Promise.all([
    actor(org, "admin"),
    actor(org, "agent"),
    actor(org, "agent"),
    actor(org, "customer"),
    actor(org, "customer"),
  ]);
  await unsafeWithSystem((tx) =>
    tx.insert(slaPolicies).values([
      { orgId: org.id, priority: "urgent", firstResponseMinutes: 60, resolveMinutes: 240 },
      { orgId: org.id, priority: "high", firstResponseMinutes: 240, resolveMinutes: 1440 },
      { orgId: org.id, priority: "normal", firstResponseMinutes: 480, resolveMinutes: 2880, nextResponseMinutes: 240 },
      { orgId: org.id, priority: "low", firstResponseMinutes: 1440, resolveMinutes: 7200 },
    ]),
  );
  return { org, admin: admin!, agent: agent!, agent2: agent2!, customer: customer!, customer2: customer2! };
}
