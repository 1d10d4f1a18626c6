import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as liveGet } from "../../src/app/api/live/route";
import { POST as typingPost } from "../../src/app/api/live/typing/route";
import { RedisHub, type Hub } from "../../src/server/live/hub";
import { liveStream, announceTyping, endLiveStreams } from "../../src/server/live/stream";
import { api, newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { readSse, type SseReader } from "../helpers/sse";
import { createWorld, type Actor, type World } from "../helpers/world";

// Issue 14 item 5 (decision 052): presence and ticket changes over SSE, fanned out through Redis.

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let w: World, other: World;
let ticketId: string;
const open: SseReader[] = [];
// Two hubs with their own Redis connections stand for two app processes.
let hubA: Hub, hubB: Hub;

beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
  ticketId = (await newTicket(w.customer)).id;
  hubA = new RedisHub(REDIS_URL);
  hubB = new RedisHub(REDIS_URL);
});
afterAll(async () => {
  await Promise.all(open.map((r) => r.close()));
  await hubA.close();
  await hubB.close();
});

const nameOf = (who: Actor) => `${who.role} ${who.email}`; // createUser's default name

async function streamOn(hub: Hub, who: Actor, ticket: string | null): Promise<SseReader> {
  const abort = new AbortController();
  const res = await liveStream({
    user: { userId: who.id, orgId: who.orgId, role: who.role, name: nameOf(who) },
    ticketId: ticket,
    signal: abort.signal,
    hub,
    heartbeatMs: 60_000,
  });
  const r = readSse(res, abort);
  await r.waitFor((e) => e.event === "ready");
  open.push(r);
  return r;
}

/** The live endpoint as a browser calls it (real wrapper, auth and database; the process hub). */
async function httpStream(who: Actor | null, query: Record<string, string>) {
  const url = new URL("http://localhost/api/live");
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const abort = new AbortController();
  const headers = new Headers({ "x-forwarded-for": "127.0.0.1" });
  if (who) headers.set("cookie", who.cookie);
  const res = await liveGet(new Request(url, { headers, signal: abort.signal }), { params: Promise.resolve({}) });
  return { res, abort };
}

describe("presence across two app processes through Redis", () => {
  it("two agents on one ticket, each on its own hub, see each other arrive, type and leave", async () => {
    const a = await streamOn(hubA, w.agent, ticketId);
    const b = await streamOn(hubB, w.agent2, ticketId);
    // B's arrival reaches A through Redis; A answers B's hello, so B learns A was already there.
    expect(
      (await a.waitFor((e) => e.event === "presence" && e.data.userId === w.agent2.id && e.data.state === "viewing"))
        .data.name,
    ).toBe(nameOf(w.agent2));
    await b.waitFor((e) => e.event === "presence" && e.data.userId === w.agent.id && e.data.state === "viewing");

    await announceTyping(
      { userId: w.agent2.id, orgId: w.org.id, role: "agent", name: nameOf(w.agent2) },
      ticketId,
      true,
      hubB,
    );
    await a.waitFor((e) => e.event === "presence" && e.data.userId === w.agent2.id && e.data.state === "typing");
    // Nobody hears their own presence.
    expect(b.events.some((e) => e.event === "presence" && e.data.userId === w.agent2.id)).toBe(false);

    await b.close();
    await a.waitFor((e) => e.event === "presence" && e.data.userId === w.agent2.id && e.data.state === "left");
  });

  it("a drain ends the process's streams at once, and the other processes hear those viewers left", async () => {
    const heard: string[] = [];
    // Another process (hubA) listening to the org.
    const stop = await hubA.subscribe(w.org.id, (m) => {
      if (m.type === "presence" && m.userId === w.admin.id) heard.push(m.state);
    });
    const leaving = await streamOn(hubB, w.admin, ticketId);
    await expect.poll(() => heard).toContain("viewing");
    endLiveStreams();
    await expect.poll(() => heard).toContain("left");
    // The stream itself has ended: nothing more is read from it.
    await expect(leaving.waitFor(() => false, 1_000)).rejects.toThrow(/no matching event/);
    stop();
    open.length = 0; // every stream of this process ended
  });

  it("an org never hears another org's presence or ticket changes", async () => {
    const mine = await streamOn(hubB, other.agent, null);
    const theirs = await streamOn(hubA, w.agent, null);
    await streamOn(hubA, w.admin, ticketId); // presence in org w
    // A change in org w as an app process publishes it, then one in the other org as a marker.
    await hubA.publish(w.org.id, {
      type: "ticket",
      ticketId,
      action: "ticket.updated",
      actorId: w.agent.id,
      internal: false,
    });
    await theirs.waitFor((e) => e.event === "ticket" && e.data.ticketId === ticketId);
    const otherTicket = (await newTicket(other.customer)).id;
    await hubA.publish(other.org.id, {
      type: "ticket",
      ticketId: otherTicket,
      action: "ticket.updated",
      actorId: null,
      internal: false,
    });
    await mine.waitFor((e) => e.event === "ticket" && e.data.ticketId === otherTicket);
    expect(mine.events.filter((e) => e.data.ticketId === ticketId)).toEqual([]);
    expect(mine.events.filter((e) => e.event === "presence")).toEqual([]);
    expect(theirs.events.filter((e) => e.data.ticketId === otherTicket)).toEqual([]);
  });
});

describe("GET /api/live and POST /api/live/typing", () => {
  it("a reply through the API reaches the ticket's listeners after it commits, and the list's", async () => {
    const t = await httpStream(w.agent, { ticket: ticketId });
    expect(t.res.status).toBe(200);
    expect(t.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const onTicket = readSse(t.res, t.abort);
    open.push(onTicket);
    const l = await httpStream(w.agent2, {});
    const onList = readSse(l.res, l.abort);
    open.push(onList);
    await onTicket.waitFor((e) => e.event === "ready");
    await onList.waitFor((e) => e.event === "ready");

    const reply = await api.addComment(w.admin, ticketId, { body: "On it." });
    expect(reply.status).toBe(201);
    const heard = await onTicket.waitFor((e) => e.event === "ticket" && e.data.action === "ticket.replied");
    expect(heard.data).toMatchObject({ ticketId, actorId: w.admin.id, internal: false });
    // Heard after the commit: the reply is already readable.
    expect(
      (await api.listComments(w.agent, ticketId)).body.data.some((c: { id: string }) => c.id === reply.body.id),
    ).toBe(true);
    await onList.waitFor(
      (e) => e.event === "ticket" && e.data.ticketId === ticketId && e.data.action === "ticket.replied",
    );
  });

  it("a customer hears their own ticket's public changes, never internal notes or staff presence", async () => {
    const c = await httpStream(w.customer, { ticket: ticketId });
    expect(c.res.status).toBe(200);
    const cust = readSse(c.res, c.abort);
    open.push(cust);
    const ready = await cust.waitFor((e) => e.event === "ready");
    expect(ready.data.presence).toBe(false);
    const a = await httpStream(w.agent, { ticket: ticketId });
    const agent = readSse(a.res, a.abort);
    open.push(agent);
    await agent.waitFor((e) => e.event === "ready");
    expect(
      (await call(typingPost, "POST", "/api/live/typing", { cookie: w.agent.cookie, body: { ticketId, typing: true } }))
        .status,
    ).toBe(204);
    expect((await api.addComment(w.agent, ticketId, { body: "Internal: check the logs", internal: true })).status).toBe(
      201,
    );
    expect((await api.addComment(w.agent, ticketId, { body: "We are looking." })).status).toBe(201);
    await cust.waitFor((e) => e.event === "ticket" && e.data.action === "ticket.replied");
    // The agent heard the note (same order of delivery), so the customer would have by now.
    await agent.waitFor((e) => e.event === "ticket" && e.data.action === "ticket.note_added");
    expect(cust.events.filter((e) => e.event === "presence")).toEqual([]);
    expect(cust.events.filter((e) => e.event === "ticket" && e.data.internal)).toEqual([]);
    // The customer never announced themselves to the agents either.
    expect(agent.events.filter((e) => e.event === "presence" && e.data.userId === w.customer.id)).toEqual([]);
  });

  it("refuses what it must: no session 401, another org's or another customer's ticket 404, a customer's list or typing 403, bad input 400", async () => {
    expect((await httpStream(null, { ticket: ticketId })).res.status).toBe(401);
    expect((await httpStream(other.agent, { ticket: ticketId })).res.status).toBe(404);
    expect((await httpStream(w.customer2, { ticket: ticketId })).res.status).toBe(404);
    const list = await httpStream(w.customer, {});
    expect(list.res.status).toBe(403);
    expect((await list.res.json()).error.code).toBe("forbidden");
    expect((await httpStream(w.agent, { ticket: "nope" })).res.status).toBe(400);
    expect((await httpStream(w.agent, { ticket: ticketId, extra: "1" })).res.status).toBe(400);
    expect(
      (
        await call(typingPost, "POST", "/api/live/typing", {
          cookie: w.customer.cookie,
          body: { ticketId, typing: true },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call(typingPost, "POST", "/api/live/typing", {
          cookie: other.agent.cookie,
          body: { ticketId, typing: true },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await call(typingPost, "POST", "/api/live/typing", {
          cookie: w.agent.cookie,
          body: { ticketId, typing: "yes" },
        })
      ).status,
    ).toBe(400);
    expect((await call(typingPost, "POST", "/api/live/typing", { cookie: w.agent.cookie, body: "{" })).status).toBe(
      400,
    );
  });
});
