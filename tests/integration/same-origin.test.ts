import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiRoute as commentsRoute } from "../helpers/http";
import { setProcessEnv } from "../../src/server/env";
import { newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// Issue 18 item 15: with NEXTAUTH_URL unset, a user who opened Beacon at http://127.0.0.1:3000
// was signed in but every write was refused as cross-site, because only the origin Next.js
// builds the request URL from (its bind hostname, e.g. localhost) counted as "own".

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterEach(() => setProcessEnv({ NEXTAUTH_URL: "http://localhost:3000" }));

// The route handler sees Next's URL (http://localhost/…); the browser addressed 127.0.0.1:3000.
const reply = (origin: string, host: string, id: string) =>
  call(commentsRoute.POST, "POST", `/api/v1/tickets/${id}/comments`, {
    cookie: w.agent.cookie,
    params: { id },
    body: { body: "On it." },
    headers: { origin, host, "sec-fetch-site": "same-origin" },
  });

describe("same-origin check for cookie-authenticated writes", () => {
  it("accepts the origin of the Host the browser addressed when NEXTAUTH_URL is unset", async () => {
    setProcessEnv({ NEXTAUTH_URL: "" });
    const t = await newTicket(w.customer);
    const r = await reply("http://127.0.0.1:3000", "127.0.0.1:3000", t.id);
    expect(r.status).toBe(201);
    // Also when NEXTAUTH_URL names another host: the request's own Host origin is same-origin.
    setProcessEnv({ NEXTAUTH_URL: "http://help.example.test" });
    expect((await reply("http://127.0.0.1:3000", "127.0.0.1:3000", t.id)).status).toBe(201);
  });

  it("still refuses an Origin that matches neither Host nor NEXTAUTH_URL, and changes nothing", async () => {
    setProcessEnv({ NEXTAUTH_URL: "" });
    const t = await newTicket(w.customer);
    for (const [origin, host] of [
      ["https://evil.example", "127.0.0.1:3000"],
      ["http://127.0.0.1:3001", "127.0.0.1:3000"],
      ["http://127.0.0.1", "127.0.0.1:3000"],
      ["null", "127.0.0.1:3000"],
    ] as const) {
      const r = await reply(origin, host, t.id);
      expect(r.status, `${origin} → ${host}`).toBe(403);
      expect(r.body.error.details).toEqual({ reason: "csrf" });
    }
    const list = await call(commentsRoute.GET, "GET", `/api/v1/tickets/${t.id}/comments`, {
      cookie: w.agent.cookie,
      params: { id: t.id },
    });
    expect(list.body.data).toHaveLength(1);
  });
});
