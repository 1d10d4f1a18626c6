import pg from "pg";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { api } from "../helpers/api";
import { createWorld, type World } from "../helpers/world";

let w: World;
beforeAll(async () => {
  w = await createWorld();
});

const seen: string[] = [];
async function counted<T>(fn: () => Promise<T>): Promise<T> {
  const query = pg.Client.prototype.query;
  seen.length = 0;
  pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
    const text = a[0];
    seen.push(typeof text === "string" ? text : String((text as { text?: string }).text ?? ""));
    return (query as (...x: unknown[]) => unknown).apply(this, a);
  } as typeof pg.Client.prototype.query;
  try {
    return await fn();
  } finally {
    pg.Client.prototype.query = query;
  }
}

describe("statements", () => {
  it("baseline", async () => {
    await api.createTicket(w.customer, { subject: "warm", body: "up" });
    const c = await counted(() => api.createTicket(w.customer, { subject: "Printer on fire", body: "It is on fire." }));
    expect(c.status, c.text).toBe(201);
    console.log("CREATE", seen.length, seen.map((s) => s.slice(0, 140).replace(/\s+/g, " ")));
    const r = await counted(() => api.addComment(w.agent, c.body.id, { body: "On it." }));
    expect(r.status).toBe(201);
    console.log("REPLY", seen.length, seen.map((s) => s.slice(0, 140).replace(/\s+/g, " ")));
    void sql; void unsafeWithSystem;
  });
});
