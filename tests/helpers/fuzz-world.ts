import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { apiRoute as meTokens } from "./http";
import { apiRoute as webhooksRoute } from "./http";
import { apiRoute as ticketAttachments } from "./http";
import { apiRoute as usersRoute } from "./http";
import { apiRoute as resetPasswordRoute } from "./http";
import { apiRoute as auditRoute } from "./http";
import { apiRoute as notificationsRoute } from "./http";
import { apiRoute as incrementalRoute } from "./http";
import { apiRoute as automationRoute } from "./http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { notifications } from "../../src/server/db/schema/notifications";
import { slaPolicies } from "../../src/server/db/schema/sla";
import { setProcessEnv } from "../../src/server/env";
import { api, newTicket } from "./api";
import { createUser, TEST_PASSWORD } from "./factories";
import { call } from "./http";
import { createWorld, type Actor, type World } from "./world";
import type { Caller, Credentials, IdPools } from "./fuzz-api";
import { Fingerprinter, listFiles } from "./fuzz-api";
import type { Hints } from "./fuzz-schema";

// Two orgs for the API fuzzer: "own", whose actors send every request, and "other", whose rows
// must never change or show. Each holds a ticket of each kind, users, tokens, a webhook, an
// attachment and notifications, so generated ids hit real rows of both orgs.

const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

type Ids = Record<string, string[]>;

async function ok<T>(p: Promise<{ status: number; body: T; text: string }>, what: string): Promise<T> {
  const r = await p;
  if (r.status >= 300) throw new Error(`fuzz world: ${what} → ${r.status} ${r.text}`);
  return r.body;
}

async function mintToken(who: Actor, name: string): Promise<{ id: string; token: string }> {
  return ok(call(meTokens.POST, "POST", "/api/v1/me/tokens", { cookie: who.cookie, body: { name } }), "create token");
}

async function upload(who: Actor, ticketId: string): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([GIF], { type: "image/gif" }), "pixel.gif");
  const req = new Request(`http://localhost/api/v1/tickets/${ticketId}/attachments`, {
    method: "POST",
    body: form,
    headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" },
  });
  const res = await ticketAttachments.POST(req);
  const body = (await res.json()) as { id: string };
  if (res.status !== 201) throw new Error(`fuzz world: upload → ${res.status} ${JSON.stringify(body)}`);
  return body.id;
}

/** One org's rows, each kind of id the API takes in a path. */
type Token = { id: string; token: string };
type Tokens = { admin: Token; customer: Token; spareAdmin: Token; spareAgent: Token; spareCustomer: Token };

async function populate(w: World): Promise<{ ids: Ids; tokens: Tokens; link: string }> {
  const tCustomer = await newTicket(w.customer);
  const tCustomer2 = await newTicket(w.customer2);
  const tAgent = await newTicket(w.agent, { requesterId: w.customer.id, priority: "urgent", tags: ["billing"] });
  await ok(api.addComment(w.agent, tCustomer.id, { body: "internal *note*", internal: true }), "internal note");
  await ok(api.addComment(w.agent, tCustomer.id, { body: "public reply" }), "reply");
  await ok(api.patchTicket(w.agent, tAgent.id, { status: "pending", assigneeId: w.agent.id }), "patch");
  const [victimAgent, victimCustomer] = await Promise.all([
    createUser(w.org, { role: "agent" }),
    createUser(w.org, { role: "customer" }),
  ]);
  const webhook = (await ok(
    call(webhooksRoute.POST, "POST", "/api/v1/webhooks", {
      cookie: w.admin.cookie,
      body: { url: "http://127.0.0.1:9/hook", events: ["ticket.created"] },
    }),
    "webhook",
  )) as { id: string };
  const tokens: Tokens = {
    admin: await mintToken(w.admin, "fuzz admin"),
    customer: await mintToken(w.customer, "fuzz customer"),
    spareAdmin: await mintToken(w.admin, "spare"),
    spareAgent: await mintToken(w.agent, "spare"),
    spareCustomer: await mintToken(w.customer, "spare"),
  };
  const attachment = await upload(w.customer, tCustomer.id);
  // A real one-time link (no mail server: the URL comes back), for the setup endpoint to redeem.
  const reset = (await ok(
    call(resetPasswordRoute.POST, "POST", `/api/v1/users/${victimCustomer.id}/reset-password`, {
      cookie: w.admin.cookie,
      params: { id: victimCustomer.id },
    }),
    "reset link",
  )) as { resetUrl: string };
  const link = decodeURIComponent(reset.resetUrl.split("/setup/")[1]!);
  const notes = await unsafeWithSystem((tx) =>
    tx
      .insert(notifications)
      .values(
        [w.admin, w.agent, w.customer].map((u, i) => ({
          orgId: w.org.id,
          userId: u.id,
          kind: "ticket.created",
          ticketId: tCustomer.id,
          idempotencyKey: `fuzz-${i}-${u.id}`,
          payload: { subject: "x" },
        })),
      )
      .returning({ id: notifications.id }),
  );
  const policies = await unsafeWithSystem((tx) =>
    tx.select({ id: slaPolicies.id, orgId: slaPolicies.orgId }).from(slaPolicies),
  );
  // Automation (decision 042): a group with an agent, a trigger and a time rule naming it, a shared
  // and a personal macro, so the automation endpoints are fuzzed against real rows of both orgs.
  const group = (await ok(
    call(automationRoute.POST, "POST", "/api/v1/groups", {
      cookie: w.admin.cookie,
      body: { name: "Fuzz team", memberIds: [w.agent.id] },
    }),
    "group",
  )) as { id: string };
  const conditions = { all: [{ field: "subject", op: "contains", value: "never matches this" }], any: [] };
  const trigger = (await ok(
    call(automationRoute.POST, "POST", "/api/v1/triggers", {
      cookie: w.admin.cookie,
      body: {
        name: "Fuzz trigger",
        conditions,
        actions: [{ type: "assign_group", groupId: group.id, strategy: "round_robin" }],
      },
    }),
    "trigger",
  )) as { id: string };
  const timeRule = (await ok(
    call(automationRoute.POST, "POST", "/api/v1/automations", {
      cookie: w.admin.cookie,
      body: {
        name: "Fuzz time rule",
        active: false,
        conditions: { all: [{ field: "hours_since", anchor: "created", op: "gte", value: 1000 }] },
        actions: [{ type: "add_tags", value: ["old"] }],
      },
    }),
    "automation",
  )) as { id: string };
  const shared = (await ok(
    call(automationRoute.POST, "POST", "/api/v1/macros", {
      cookie: w.admin.cookie,
      body: {
        name: "Fuzz shared",
        reply: "Hi {{requester.first_name}}",
        actions: [{ type: "add_tags", value: ["macro"] }],
      },
    }),
    "macro",
  )) as { id: string };
  const personal = (await ok(
    call(automationRoute.POST, "POST", "/api/v1/macros", {
      cookie: w.agent.cookie,
      body: { name: "Fuzz mine", shared: false, reply: "Thanks" },
    }),
    "personal macro",
  )) as { id: string };
  return {
    tokens,
    link,
    ids: {
      tickets: [tCustomer.id, tCustomer2.id, tAgent.id],
      triggers: [trigger.id],
      automations: [timeRule.id],
      groups: [group.id],
      members: [w.agent.id, w.agent2.id],
      macros: [shared.id, personal.id],
      users: [victimAgent.id, victimCustomer.id, w.agent2.id, w.customer2.id],
      webhooks: [webhook.id],
      "sla-policies": policies.filter((p) => p.orgId === w.org.id).map((p) => p.id),
      tokens: [tokens.spareAdmin.id, tokens.spareAgent.id, tokens.spareCustomer.id],
      attachments: [attachment],
      notifications: notes.map((n) => n.id),
    },
  };
}

/** Real cursors from every list, with several sort orders: replayed on the wrong list, they must still be a 400. */
async function collectCursors(w: World, own: Ids): Promise<string[]> {
  const lists = [
    ...["-updatedAt", "createdAt", "-priority", "resolveDue"].map((sort) =>
      api.listTickets(w.admin, { limit: "1", sort }),
    ),
    api.listComments(w.agent, own.tickets![0]!, { limit: "1" }),
    call(usersRoute.GET, "GET", "/api/v1/users", { cookie: w.admin.cookie, query: { limit: "1" } }),
    call(auditRoute.GET, "GET", "/api/v1/audit", { cookie: w.admin.cookie, query: { limit: "1" } }),
    call(notificationsRoute.GET, "GET", "/api/v1/notifications", { cookie: w.admin.cookie, query: { limit: "1" } }),
    call(incrementalRoute.GET, "GET", "/api/v1/export/tickets/incremental", {
      cookie: w.admin.cookie,
      query: { startTime: "2000-01-01T00:00:00Z", limit: "1" },
    }),
  ];
  const cursors = (await Promise.all(lists))
    .map((r) => (r.body as { nextCursor?: string | null }).nextCursor)
    .filter((c): c is string => !!c);
  // Tampered copies: one character changed, the signature dropped, the payload of one with the signature of another.
  const tampered = cursors.flatMap((c) => [
    c.slice(0, 5) + (c[5] === "A" ? "B" : "A") + c.slice(6),
    c.split(".")[0]!,
    `${c}.x`,
  ]);
  if (cursors.length > 1) tampered.push(`${cursors[0]!.split(".")[0]}.${cursors[1]!.split(".")[1]}`);
  return [...cursors, ...tampered];
}

export type FuzzWorld = {
  own: World;
  other: World;
  pools: IdPools;
  hints: Hints;
  creds: (c: Caller) => Credentials;
  fingerprinter: Fingerprinter;
  db: pg.Client;
  /** Undo what a successful request may have done to the callers themselves (see repair()). */
  repair: () => Promise<void>;
  close: () => Promise<void>;
};

export async function createFuzzWorld(): Promise<FuzzWorld> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-fuzz-"));
  setProcessEnv({ BEACON_DATA_DIR: dataDir });
  const [own, other] = await Promise.all([createWorld(), createWorld()]);
  const [mine, theirs] = await Promise.all([populate(own), populate(other)]);
  const cursors = await collectCursors(own, mine.ids);
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  const fingerprinter = new Fingerprinter(db, () => ({ "files -": listFiles(dataDir) }));
  await fingerprinter.init();

  const actors = [own.admin, own.agent, own.customer];
  const snapshot = await db.query<{ id: string; role: string; session_version: number }>(
    `select id, role::text, session_version from users where id = any($1)`,
    [actors.map((a) => a.id)],
  );
  const actorTokenIds = [mine.tokens.admin.id, mine.tokens.customer.id];
  const settings = await db.query<{ settings: unknown }>(`select settings from orgs where id = $1`, [own.org.id]);

  // A successful request may legitimately change the callers: block or demote them, bump their
  // session version, revoke their token, switch a feature off, require 2FA. Put them back, so the
  // next request is still made as the role it claims.
  const repair = async () => {
    await db.query(`delete from feature_flags where org_id = $1`, [own.org.id]);
    await db.query(`update orgs set settings = $2 where id = $1`, [
      own.org.id,
      JSON.stringify(settings.rows[0]!.settings),
    ]);
    for (const r of snapshot.rows) {
      await db.query(
        `update users set role = $3::user_role, session_version = $4, blocked_at = null, must_change_password = false,
                totp_secret = null, totp_enabled_at = null
          where org_id = $1 and id = $2`,
        [own.org.id, r.id, r.role, r.session_version],
      );
    }
    await db.query(
      `update api_tokens set revoked_at = null, session_version = u.session_version from users u
                     where api_tokens.id = any($1) and u.org_id = api_tokens.org_id and u.id = api_tokens.user_id`,
      [actorTokenIds],
    );
  };

  const otherOrgHex = other.org.id.replace(/-/g, "");
  const creds = (c: Caller): Credentials => {
    switch (c) {
      case "admin":
        return { cookie: own.admin.cookie };
      case "agent":
        return { cookie: own.agent.cookie };
      case "customer":
        return { cookie: own.customer.cookie };
      case "token:admin":
        return { token: mine.tokens.admin.token };
      case "token:customer":
        return { token: mine.tokens.customer.token };
      case "anonymous":
        return {};
      case "bearer:garbage":
        return { headers: { authorization: "Bearer not-a-token" } };
      // Well-formed, naming the other org, with a secret that is not one.
      case "bearer:other-org":
        return { token: `bcn_${otherOrgHex}_${"A".repeat(43)}` };
      case "cookie:garbage":
        return { cookie: "next-auth.session-token=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..garbage.garbage.garbage" };
      case "cookie:cross-site":
        return {
          cookie: own.admin.cookie,
          headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
        };
    }
  };

  return {
    own,
    other,
    pools: { own: mine.ids, other: theirs.ids },
    hints: {
      uuids: [
        ...Object.values(mine.ids).flat(),
        ...Object.values(theirs.ids).flat(),
        own.agent.id,
        own.admin.id,
        own.customer.id,
        other.agent.id,
      ],
      emails: [own.admin.email, own.agent.email, own.customer.email, "nobody@example.test"],
      passwords: [TEST_PASSWORD],
      cursors,
      // Setup links: a real one of the own org (redeeming the other org's would rightly change it),
      // and well-formed ones that are not real, one of them naming the other org.
      linkTokens: [
        mine.link,
        `${other.org.id.replace(/-/g, "")}.${mine.link.split(".")[1]!}`,
        `${"0".repeat(32)}.${"B".repeat(43)}`,
        `${mine.link}x`,
      ],
    },
    creds,
    fingerprinter,
    db,
    repair,
    close: async () => {
      await db.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
