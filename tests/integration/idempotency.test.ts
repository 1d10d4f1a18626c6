import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TABLE } from "../../src/server/api/table";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { unsafeSweepIdempotencyKeys } from "../../src/server/idempotency/sweep";
import { api, newTicket } from "../helpers/api";
import { startDovecot, type Dovecot } from "../helpers/dovecot";
import { apiRoute, call, type CallResult } from "../helpers/http";
import { createWorld, type Actor, type World } from "../helpers/world";

// Idempotency-Key on every creating POST (issue 20 "Safe retries", decision 043): the same key and
// request replays the first response and creates nothing; another request with the key is 422; a
// request while the first still runs is 409; keys are per user and per org, and swept after 24 h.

let w: World, other: World;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-idem-"));
let dove: Dovecot | undefined;
afterAll(async () => {
  await dove?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});
beforeAll(async () => {
  setProcessEnv({ BEACON_DATA_DIR: dataDir });
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});

const post = (
  who: { cookie: string },
  path: string,
  body: unknown,
  key?: string,
  headers: Record<string, string> = {},
) =>
  call(apiRoute.POST, "POST", path, {
    cookie: who.cookie,
    body,
    headers: key === undefined ? headers : { ...headers, "idempotency-key": key },
  });

const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;
const ticketCount = async (orgId: string) =>
  (await q<{ n: number }>(sql`select count(*)::int as n from tickets where org_id = ${orgId}`))[0]!.n;

describe("Idempotency-Key on POST /tickets", () => {
  it("the same key and body replays the first response (status, body, Idempotent-Replayed) and creates one ticket", async () => {
    const key = randomUUID();
    const before = await ticketCount(w.org.id);
    const first = await post(w.customer, "/api/v1/tickets", { subject: "Retry me", body: "once" }, key);
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const again = await post(w.customer, "/api/v1/tickets", { body: "once", subject: "Retry me" }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("content-type")).toContain("application/json");
    expect(await ticketCount(w.org.id)).toBe(before + 1);
  });

  it("the same key with another body is 422 idempotency_key_reused and creates nothing", async () => {
    const key = randomUUID();
    expect((await post(w.customer, "/api/v1/tickets", { subject: "First", body: "x" }, key)).status).toBe(201);
    const before = await ticketCount(w.org.id);
    const reused = await post(w.customer, "/api/v1/tickets", { subject: "Second", body: "x" }, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe("idempotency_key_reused");
    // …and with another path (a comment under the ticket key) as well.
    const t = await newTicket(w.customer);
    const elsewhere = await post(w.customer, `/api/v1/tickets/${t.id}/comments`, { body: "x" }, key);
    expect(elsewhere.status).toBe(422);
    expect(await ticketCount(w.org.id)).toBe(before + 1);
  });

  it("a concurrent pair with one key: one creates, the other is 409 in flight or a replay; never two tickets", async () => {
    for (let round = 0; round < 3; round++) {
      const key = randomUUID();
      const before = await ticketCount(w.org.id);
      const both = await Promise.all(
        [0, 1].map(() => post(w.agent, "/api/v1/tickets", { subject: `Race ${round}`, body: "b" }, key)),
      );
      const replayed = both.filter((r) => r.headers.get("idempotent-replayed") === "true");
      const created = both.filter((r) => r.status === 201 && r.headers.get("idempotent-replayed") === null);
      const inFlight = both.filter((r) => r.status === 409);
      expect(created).toHaveLength(1);
      expect(replayed.length + inFlight.length).toBe(1);
      for (const r of inFlight) expect(r.body.error.code).toBe("idempotency_key_in_flight");
      for (const r of replayed) expect(r.body).toEqual(created[0]!.body);
      expect(await ticketCount(w.org.id)).toBe(before + 1);
      // Once the first has committed, a retry replays.
      const retry = await post(w.agent, "/api/v1/tickets", { subject: `Race ${round}`, body: "b" }, key);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(retry.body.id).toBe(created[0]!.body.id);
    }
  });

  it("a request held in flight: a second with the same key is 409 until the first commits, then replays", async () => {
    const key = randomUUID();
    const body = { subject: "Held", body: "b" };
    // Hold the key's transaction lock as a request in flight would.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = unsafeWithSystem(async (tx) => {
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtextextended(${`idempotency:${w.org.id}:${w.agent.id}:${key}`}, 0))`,
      );
      locked();
      await held;
    });
    await isLocked;
    const during = await post(w.agent, "/api/v1/tickets", body, key);
    expect(during.status).toBe(409);
    expect(during.body.error.code).toBe("idempotency_key_in_flight");
    expect(during.headers.get("retry-after")).toBe("1");
    release();
    await holder;
    const after = await post(w.agent, "/api/v1/tickets", body, key);
    expect(after.status).toBe(201);
  });

  it("keys are per user: another user's same key is independent, and cannot replay the first user's response", async () => {
    const key = randomUUID();
    const a = await post(w.customer, "/api/v1/tickets", { subject: "Mine", body: "x" }, key);
    const b = await post(w.customer2, "/api/v1/tickets", { subject: "Mine", body: "x" }, key);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(b.body.id).not.toBe(a.body.id);
    // customer2 cannot read customer's ticket through the key.
    expect(b.body.requester?.id ?? b.body.requesterId).not.toBe(a.body.requester?.id ?? a.body.requesterId);
  });

  it("keys are per org: org B's same key is independent, and RLS hides org A's key rows from B", async () => {
    const key = randomUUID();
    const a = await post(w.admin, "/api/v1/tickets", { subject: "Org A", body: "x" }, key);
    const b = await post(other.admin, "/api/v1/tickets", { subject: "Org A", body: "x" }, key);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(b.body.id).not.toBe(a.body.id);
    const { withTenant } = await import("../../src/server/db/tenant");
    const seen = await withTenant(other.org.id, (tx) =>
      tx.execute<{ org_id: string }>(sql`select org_id from idempotency_keys where key = ${key}`),
    );
    expect(seen.rows.map((r) => r.org_id)).toEqual([other.org.id]);
  });

  it("without a key nothing changes: two identical POSTs make two tickets", async () => {
    const before = await ticketCount(w.org.id);
    await post(w.customer, "/api/v1/tickets", { subject: "No key", body: "x" });
    await post(w.customer, "/api/v1/tickets", { subject: "No key", body: "x" });
    expect(await ticketCount(w.org.id)).toBe(before + 2);
  });

  it("a malformed key is 400 and creates nothing; a quoted structured-field string is the same key as the bare one", async () => {
    const before = await ticketCount(w.org.id);
    for (const bad of ["", "a".repeat(256), "with space", 'has"quote', "ümlaut"]) {
      const r = await call(apiRoute.POST, "POST", "/api/v1/tickets", {
        cookie: w.customer.cookie,
        body: { subject: "Bad key", body: "x" },
        headers: { "idempotency-key": Buffer.from(bad, "utf8").toString("latin1") },
      });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error.code).toBe("validation_failed");
    }
    expect(await ticketCount(w.org.id)).toBe(before);
    const key = randomUUID();
    expect((await post(w.customer, "/api/v1/tickets", { subject: "Q", body: "x" }, key)).status).toBe(201);
    expect(
      (await post(w.customer, "/api/v1/tickets", { subject: "Q", body: "x" }, `"${key}"`)).headers.get(
        "idempotent-replayed",
      ),
    ).toBe("true");
  });

  it("a failed request stores nothing: its retry with the same key runs again", async () => {
    const key = randomUUID();
    // A customer may not set priority: 403, nothing created, no key kept.
    const refused = await post(w.customer, "/api/v1/tickets", { subject: "P", body: "x", priority: "urgent" }, key);
    expect(refused.status).toBe(403);
    expect(await q(sql`select 1 from idempotency_keys where key = ${key}`)).toHaveLength(0);
    const fixed = await post(w.customer, "/api/v1/tickets", { subject: "P", body: "x", priority: "urgent" }, key);
    expect(fixed.status).toBe(403);
    expect(fixed.headers.get("idempotent-replayed")).toBeNull();
  });

  it("the stored response is sealed: a new token's secret is not in the table in clear", async () => {
    const key = randomUUID();
    const first = await post(w.agent, "/api/v1/me/tokens", { name: `ci-${key.slice(0, 8)}` }, key);
    expect(first.status).toBe(201);
    const again = await post(w.agent, "/api/v1/me/tokens", { name: `ci-${key.slice(0, 8)}` }, key);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.token).toBe(first.body.token);
    const [row] = await q<{ body: string }>(sql`select body from idempotency_keys where key = ${key}`);
    expect(row!.body).not.toContain(first.body.token);
    const tokens = await q(
      sql`select 1 from api_tokens where org_id = ${w.org.id} and name = ${`ci-${key.slice(0, 8)}`}`,
    );
    expect(tokens).toHaveLength(1);
  });
});

describe("the worker's sweep", () => {
  it("removes keys older than 24 hours and keeps younger ones; an expired key no longer replays", async () => {
    const [old, young] = [randomUUID(), randomUUID()];
    expect((await post(w.customer, "/api/v1/tickets", { subject: "Old", body: "x" }, old)).status).toBe(201);
    expect((await post(w.customer, "/api/v1/tickets", { subject: "Young", body: "x" }, young)).status).toBe(201);
    await q(sql`update idempotency_keys set created_at = now() - interval '25 hours' where key = ${old}`);
    // Past 24 hours the key is not honoured even before the sweep: the request runs again.
    const before = await ticketCount(w.org.id);
    const rerun = await post(w.customer, "/api/v1/tickets", { subject: "Old", body: "x" }, old);
    expect(rerun.status).toBe(201);
    expect(rerun.headers.get("idempotent-replayed")).toBeNull();
    expect(await ticketCount(w.org.id)).toBe(before + 1);
    await q(sql`update idempotency_keys set created_at = now() - interval '25 hours' where key = ${old}`);

    const r = await unsafeSweepIdempotencyKeys();
    expect(r.deleted).toBeGreaterThanOrEqual(1);
    expect(await q(sql`select 1 from idempotency_keys where key = ${old}`)).toHaveLength(0);
    expect(await q(sql`select 1 from idempotency_keys where key = ${young}`)).toHaveLength(1);
  });
});

// --- every creating POST -------------------------------------------------------------------

/** POSTs that create nothing a retry could duplicate, each with why it needs no key. A new POST must be flagged or listed here. */
const NOT_CREATING: Record<string, string> = {
  grantToken:
    "public (no user to keep a key for); a repeated grant only issues another short-lived token to the same credentials",
  completeSetup: "public, consumes a one-time link: a retry is refused by the spent link",
  receiveInboundEmail: "public provider webhook, idempotent by Message-ID per org (decisions 034/035/039)",
  replayDeadLetter: "acts on one existing dead letter; replaying twice is refused once it left the dead queue",
  changeMyPassword: "sets state (the password), creates nothing",
  startMyTwoFactorSetup: "replaces the pending secret; a retry just shows a new one",
  confirmMyTwoFactor: "sets state; a retry with the same code is refused (a code is accepted once)",
  regenerateMyRecoveryCodes: "replaces the codes; the latest answer is the one that counts",
  markNotificationsRead: "sets state, idempotent by nature",
  validateTrigger: "checks a draft rule, writes nothing",
  validateAutomation: "checks a draft rule, writes nothing",
  validateMacro: "checks a draft macro, writes nothing",
  testTrigger: "a dry run, writes nothing",
  testAutomation: "a dry run, writes nothing",
  testSavedTrigger: "a dry run, writes nothing",
  testSavedAutomation: "a dry run, writes nothing",
  previewMacro: "a dry run, writes nothing",
  revokeUserSessions: "sets state (bumps the session version), idempotent in effect",
  resetUserPassword: "replaces the reset link; only the latest link works",
  cancelImport: "sets state (asks the run to stop), creates nothing; a second ask records no second event",
  rateByLink:
    "public (no user to keep a key for); each signed link changes the rating once, so a retry is refused as used (decision 051)",
};

type Sample = (who: World) => Promise<{ path: string; body?: unknown; who: Actor; form?: () => FormData }>;

const uniq = () => randomUUID().slice(0, 8);

/** One valid request of each idempotent operation. An idempotent operation without a sample fails the test below. */
const SAMPLES: Record<string, Sample> = {
  createTicket: async (x) => ({ path: "/api/v1/tickets", body: { subject: "Sample", body: "x" }, who: x.customer }),
  addComment: async (x) => ({
    path: `/api/v1/tickets/${(await newTicket(x.customer)).id}/comments`,
    body: { body: "a reply" },
    who: x.agent,
  }),
  uploadAttachment: async (x) => ({
    path: `/api/v1/tickets/${(await newTicket(x.customer)).id}/attachments`,
    who: x.customer,
    form: () => {
      const f = new FormData();
      f.append("file", new Blob([Buffer.from("hello, plain text\n")], { type: "text/plain" }), "note.txt");
      return f;
    },
  }),
  createImport: async (x) => ({
    path: "/api/v1/imports",
    who: x.admin,
    form: () => {
      const f = new FormData();
      f.append("source", "zendesk");
      f.append("file", new Blob(['{"users": []}\n'], { type: "application/json" }), "users.json");
      return f;
    },
  }),
  createUser: async (x) => ({
    path: "/api/v1/users",
    body: { email: `idem-${uniq()}@example.com`, name: "Idem", role: "agent" },
    who: x.admin,
  }),
  createWebhook: async (x) => ({
    path: "/api/v1/webhooks",
    body: { url: `https://hooks.example/${uniq()}`, events: ["sla.breach"] },
    who: x.admin,
  }),
  createMyToken: async (x) => ({ path: "/api/v1/me/tokens", body: { name: `t-${uniq()}` }, who: x.agent }),
  createSlaPolicy: async (x) => {
    const list = await call(apiRoute.GET, "GET", "/api/v1/sla-policies", { cookie: x.admin.cookie });
    const low = (list.body.data as { id: string; priority: string }[]).find((p) => p.priority === "low");
    if (low) await call(apiRoute.DELETE, "DELETE", `/api/v1/sla-policies/${low.id}`, { cookie: x.admin.cookie });
    return {
      path: "/api/v1/sla-policies",
      body: { priority: "low", firstResponseMinutes: 60, resolveMinutes: 120 },
      who: x.admin,
    };
  },
  createEmailAddress: async (x) => ({
    path: "/api/v1/email/addresses",
    body: { address: `support-${uniq()}@idem.example` },
    who: x.admin,
  }),
  connectEmailMailbox: async (x) => {
    // A real IMAP server: connecting verifies the credentials first.
    setProcessEnv({ OUTBOUND_ALLOW_PRIVATE: "127.0.0.0/8,::1/128" });
    dove ??= await startDovecot();
    const addr = await post(x.admin, "/api/v1/email/addresses", { address: `mbx-${uniq()}@idem.example` });
    return {
      path: "/api/v1/email/mailboxes",
      body: {
        addressId: addr.body.id,
        host: dove.host,
        port: dove.port,
        tlsMode: "none",
        username: dove.user,
        password: dove.password,
        folder: "INBOX",
      },
      who: x.admin,
    };
  },
  addTicketCc: async (x) => ({
    path: `/api/v1/tickets/${(await newTicket(x.customer)).id}/ccs`,
    body: { email: `cc-${uniq()}@example.com` },
    who: x.agent,
  }),
  // Rules that never match: they stay in this file's org and must not change the other samples' tickets.
  createTrigger: async (x) => ({
    path: "/api/v1/triggers",
    body: {
      name: `idem-${uniq()}`,
      conditions: { all: [{ field: "subject", op: "contains", value: `never-${uniq()}` }] },
      actions: [{ type: "add_tags", value: ["idem"] }],
    },
    who: x.admin,
  }),
  createAutomation: async (x) => ({
    path: "/api/v1/automations",
    body: {
      name: `idem-${uniq()}`,
      conditions: {
        all: [
          { field: "hours_since", anchor: "created", op: "gte", value: 1 },
          { field: "subject", op: "contains", value: `never-${uniq()}` },
        ],
      },
      actions: [{ type: "add_tags", value: ["idem"] }],
    },
    who: x.admin,
  }),
  createGroup: async (x) => ({ path: "/api/v1/groups", body: { name: `idem-${uniq()}` }, who: x.admin }),
  createMacro: async (x) => ({
    path: "/api/v1/macros",
    body: { name: `idem-${uniq()}`, shared: false, reply: "Hello {{ticket.number}}" },
    who: x.agent,
  }),
  // Applying a macro with a note twice would add two notes: a retry replays instead.
  applyMacro: async (x) => {
    const macro = await post(x.admin, "/api/v1/macros", {
      name: `idem-${uniq()}`,
      actions: [{ type: "add_note", body: "checked" }],
    });
    return { path: `/api/v1/tickets/${(await newTicket(x.customer)).id}/macros/${macro.body.id}/apply`, who: x.agent };
  },
  rotateInboundEmailSecret: async (x) => ({ path: "/api/v1/email/inbound-secret", who: x.admin }),
  createView: async (x) => ({
    path: "/api/v1/views",
    body: { name: `idem-${uniq()}`, filters: { status: "open" } },
    who: x.agent,
  }),
  // Only queued here (no worker runs in this file): a retry must not queue a second job.
  startBulkTicketChange: async (x) => ({
    path: "/api/v1/tickets/bulk",
    body: { ticketIds: [(await newTicket(x.customer)).id], set: { addTags: ["idem"] } },
    who: x.agent,
  }),
  createTicketField: async (x) => ({
    path: "/api/v1/fields",
    body: { key: `idem_${uniq().replace(/-/g, "")}`, label: "Idem", type: "text" },
    who: x.admin,
  }),
  // Merge, link, customer organizations and notes (decision 051).
  mergeTicket: async (x) => {
    const target = await newTicket(x.customer);
    return {
      path: `/api/v1/tickets/${(await newTicket(x.customer)).id}/merge`,
      body: { ticketId: target.id },
      who: x.agent,
    };
  },
  linkTicket: async (x) => ({
    path: `/api/v1/tickets/${(await newTicket(x.customer)).id}/links`,
    body: { ticketId: (await newTicket(x.customer)).id },
    who: x.agent,
  }),
  createCustomerOrg: async (x) => ({
    path: "/api/v1/customer-orgs",
    body: { name: `idem-${uniq()}`, domains: [`idem-${uniq()}.example`] },
    who: x.admin,
  }),
  addCustomerNote: async (x) => ({
    path: `/api/v1/customers/${x.customer.id}/notes`,
    body: { body: `note ${uniq()}` },
    who: x.agent,
  }),
};

async function send(s: Awaited<ReturnType<Sample>>, key: string): Promise<CallResult> {
  if (!s.form) return post(s.who, s.path, s.body, key);
  // A new FormData each time, as a client retrying does: a new random boundary, the same file and fields.
  const probe = new Request("http://localhost/", { method: "POST", body: s.form() });
  const bytes = Buffer.from(await probe.arrayBuffer());
  return call(apiRoute.POST, "POST", s.path, {
    cookie: s.who.cookie,
    body: bytes.toString("latin1"),
    headers: { "content-type": probe.headers.get("content-type")!, "idempotency-key": key },
  });
}

describe("every creating POST in the route table honours Idempotency-Key", () => {
  const posts = TABLE.filter((op) => op.method === "POST");

  it("each POST is flagged idempotent (documented: Idempotency-Key, 409, 422) or listed as creating nothing, with why", () => {
    for (const op of posts) {
      const flagged = op.requestHeaders?.["Idempotency-Key"] !== undefined;
      expect(
        flagged || op.operationId in NOT_CREATING,
        `${op.operationId}: a new POST must be idempotent: true or say in NOT_CREATING why not`,
      ).toBe(true);
      expect(flagged && op.operationId in NOT_CREATING, `${op.operationId} is both flagged and listed`).toBe(false);
      if (flagged) {
        expect(op.responseHeaders?.["Idempotent-Replayed"]).toBeTruthy();
        expect(SAMPLES[op.operationId], `${op.operationId} needs a sample request in SAMPLES`).toBeDefined();
      }
      if (op.status === 201 && op.can !== "public")
        expect(flagged, `${op.operationId} answers 201 Created but is not idempotent`).toBe(true);
    }
  });

  it.each(
    posts
      .filter((op) => op.requestHeaders?.["Idempotency-Key"] !== undefined)
      .map((op) => [op.operationId, op.path] as const),
  )("%s: replayed with the same key, 422 with another request", async (operationId) => {
    const s = await SAMPLES[operationId]!(w);
    const key = randomUUID();
    const first = await send(s, key);
    expect(first.status, first.text).toBeLessThan(300);
    const again = await send(s, key);
    expect(again.status, again.text).toBe(first.status);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.text).toBe(first.text);
    const rows = await q<{ operation_id: string }>(
      sql`select operation_id from idempotency_keys where org_id = ${w.org.id} and key = ${key}`,
    );
    expect(rows).toEqual([{ operation_id: operationId }]);
    // The key used on another operation's path is another request.
    const misuse = await post(s.who, "/api/v1/tickets", { subject: "misuse", body: "x" }, key);
    expect(operationId === "createTicket" ? [201, 422] : [422]).toContain(misuse.status);
  });
});

describe("an upload's key", () => {
  it("is bound to the bytes: the same key with another file is 422 and stores no second attachment", async () => {
    const t = await newTicket(w.customer);
    const key = randomUUID();
    const form = (text: string) => {
      const f = new FormData();
      f.append("file", new Blob([Buffer.from(text)], { type: "text/plain" }), "n.txt");
      return f;
    };
    const first = await send(
      { path: `/api/v1/tickets/${t.id}/attachments`, who: w.customer, form: () => form("one\n") },
      key,
    );
    expect(first.status, first.text).toBe(201);
    const other = await send(
      { path: `/api/v1/tickets/${t.id}/attachments`, who: w.customer, form: () => form("two\n") },
      key,
    );
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("idempotency_key_reused");
    const rows = await q(sql`select 1 from attachments where ticket_id = ${t.id}`);
    expect(rows).toHaveLength(1);
    expect((await api.getTicket(w.customer, t.id)).status).toBe(200);
  });
});
