import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { apiRoute as flagsRoute } from "../helpers/http";
import { apiRoute as hooksRoute, apiRoute as hookRoute } from "../helpers/http";
import { POST as createUserRoute } from "../helpers/http";
import { POST as resetRoute } from "../helpers/http";
import { POST as setupRoute } from "../helpers/http";
import { webhooks } from "../../src/server/db/schema/notifications";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { QUEUES } from "../../src/server/jobs/queues";
import { EMAIL_SWITCHED_OFF, handleEmail } from "../../src/server/notifications/email";
import { handleNotify } from "../../src/server/notifications/notify";
import { handleWebhook, WEBHOOKS_SWITCHED_OFF } from "../../src/server/notifications/webhook-delivery";
import { bootstrapOrg } from "../../src/server/provisioning/bootstrap-org";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { newTicket } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { call } from "../helpers/http";
import { jobsIn } from "../helpers/jobs";
import { startReceiver, startSmtp } from "../helpers/receivers";
import { createWorld, type Actor, type World } from "../helpers/world";

// The switches `webhooks`, `signup_tokens` and `notifications_email` (runbook, "Turn a feature
// off"): an org flag through PUT /feature-flags, or FEATURES_DISABLED for every org. Off, the
// behaviour stops; back on, it works again. One org's switch never touches another org.

const PASSWORD = "my own chosen passphrase";
let w: World, other: World;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-flags-"));
  setProcessEnv({ BEACON_DATA_DIR: dataDir, SMTP_URL: "", FEATURES_DISABLED: "" });
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});
beforeEach(() => resetLimitersForTests());
afterEach(async () => {
  setProcessEnv({ SMTP_URL: "", FEATURES_DISABLED: "" });
  for (const key of ["webhooks", "signup_tokens", "notifications_email"]) await setFlag(w.admin, key, null);
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

async function setFlag(admin: Actor, key: string, enabled: boolean | null) {
  const r = await call(flagsRoute.PUT, "PUT", "/api/v1/feature-flags", {
    cookie: admin.cookie,
    body: { key, enabled },
  });
  expect(r.status, r.text).toBe(200);
}
const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;

/** An SLA breach on a fresh ticket assigned to the agent: one in-app notification for the agent. */
async function breach(world: World, dueAt: string) {
  const t = await newTicket(world.customer);
  await unsafeWithSystem((tx) =>
    tx.execute(sql`update tickets set assignee_id = ${world.agent.id} where id = ${t.id}`),
  );
  const r = await handleNotify({
    orgId: world.org.id,
    kind: "sla.breach",
    ticketId: t.id,
    metric: "resolution",
    dueAt,
  });
  const [n] = await q<{ id: string }>(
    sql`select id from notifications where ticket_id = ${t.id} and kind = 'sla.breach'`,
  );
  const deliveries = await q<{ id: string }>(
    sql`select id from webhook_deliveries where payload->'ticket'->>'id' = ${t.id}`,
  );
  return { ticket: t, result: r, notificationId: n!.id, deliveryIds: deliveries.map((d) => d.id) };
}

describe("webhooks", () => {
  const create = (a: Actor) =>
    call(hooksRoute.POST, "POST", "/api/v1/webhooks", {
      cookie: a.cookie,
      body: { url: "https://hooks.example/beacon", events: ["sla.breach"] },
    });

  it("off: no new webhook (503 feature_disabled, nothing created), existing ones can still be read, changed and deleted; other orgs unaffected; on: 201", async () => {
    const kept = await create(w.admin);
    expect(kept.status).toBe(201);
    await setFlag(w.admin, "webhooks", false);
    const refused = await create(w.admin);
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: "feature_disabled", details: { feature: "webhooks" } });
    const list = await call(hooksRoute.GET, "GET", "/api/v1/webhooks", { cookie: w.admin.cookie });
    expect(list.status).toBe(200);
    expect(list.body.data.map((h: { id: string }) => h.id)).toEqual([kept.body.id]);
    const id = kept.body.id as string;
    expect(
      (
        await call(hookRoute.PATCH, "PATCH", `/api/v1/webhooks/${id}`, {
          cookie: w.admin.cookie,
          params: { id },
          body: { active: false },
        })
      ).status,
    ).toBe(200);
    expect((await create(other.admin)).status).toBe(201);
    await setFlag(w.admin, "webhooks", null);
    expect((await create(w.admin)).status).toBe(201);
    expect(
      (await call(hookRoute.DELETE, "DELETE", `/api/v1/webhooks/${id}`, { cookie: w.admin.cookie, params: { id } }))
        .status,
    ).toBe(204);
    await unsafeWithSystem((tx) =>
      tx.execute(sql`delete from webhooks where org_id in (${w.org.id}, ${other.org.id})`),
    );
  });

  it("off: events create no deliveries, and one queued before the switch is not sent nor retried; on: delivered", async () => {
    const receiver = await startReceiver([204]);
    try {
      await unsafeWithSystem((tx) =>
        tx
          .insert(webhooks)
          .values({ orgId: w.org.id, url: receiver.url, secret: "whsec_flags_test", events: ["sla.breach"] }),
      );
      const queued = await breach(w, "2026-03-01T00:00:00.000Z");
      expect(queued.deliveryIds).toHaveLength(1);

      await setFlag(w.admin, "webhooks", false);
      // The job completes (no throw, so pg-boss does not retry it) and nothing reaches the receiver.
      expect(await handleWebhook({ orgId: w.org.id, deliveryId: queued.deliveryIds[0]! })).toBe("disabled");
      expect(receiver.hits).toHaveLength(0);
      const [row] = await q<{ status: string; attempts: number; last_error: string }>(
        sql`select status::text, attempts, last_error from webhook_deliveries where id = ${queued.deliveryIds[0]!}`,
      );
      expect(row).toEqual({ status: "dead", attempts: 0, last_error: WEBHOOKS_SWITCHED_OFF });
      const during = await breach(w, "2026-03-02T00:00:00.000Z");
      expect(during.result).toMatchObject({ notified: 1, webhooks: 0 });
      expect(during.deliveryIds).toEqual([]);

      await setFlag(w.admin, "webhooks", null);
      // The delivery skipped while off stays skipped; new events flow again.
      expect(await handleWebhook({ orgId: w.org.id, deliveryId: queued.deliveryIds[0]! })).toBe("skipped");
      const after = await breach(w, "2026-03-03T00:00:00.000Z");
      expect(after.result.webhooks).toBe(1);
      expect(await jobsIn(QUEUES.webhook.name, { deliveryId: after.deliveryIds[0]! })).toHaveLength(1);
      expect(await handleWebhook({ orgId: w.org.id, deliveryId: after.deliveryIds[0]! })).toBe("delivered");
      expect(receiver.hits).toHaveLength(1);
      expect(JSON.parse(receiver.hits[0]!.body)).toMatchObject({
        id: after.deliveryIds[0],
        ticket: { id: after.ticket.id },
      });
    } finally {
      await unsafeWithSystem((tx) => tx.execute(sql`delete from webhooks where org_id = ${w.org.id}`));
      await receiver.close();
    }
  });

  it("FEATURES_DISABLED=webhooks stops deliveries in every org", async () => {
    await unsafeWithSystem((tx) =>
      tx.insert(webhooks).values({
        orgId: other.org.id,
        url: "http://127.0.0.1:9/hook",
        secret: "whsec_flags_test",
        events: ["sla.breach"],
      }),
    );
    try {
      setProcessEnv({ FEATURES_DISABLED: "webhooks" });
      const r = await breach(other, "2026-03-04T00:00:00.000Z");
      expect(r.result).toMatchObject({ notified: 1, webhooks: 0 });
      expect((await create(other.admin)).status).toBe(503);
    } finally {
      await unsafeWithSystem((tx) => tx.execute(sql`delete from webhooks where org_id = ${other.org.id}`));
    }
  });
});

describe("notifications_email", () => {
  it("off: the in-app notification is made but no email job is queued, and a queued email is not sent nor retried; on: sent; other orgs unaffected", async () => {
    const smtp = await startSmtp();
    setProcessEnv({ SMTP_URL: smtp.url });
    try {
      const queued = await breach(w, "2026-04-01T00:00:00.000Z");
      expect(await jobsIn(QUEUES.email.name, { notificationId: queued.notificationId })).toHaveLength(1);

      await setFlag(w.admin, "notifications_email", false);
      expect(await handleEmail({ orgId: w.org.id, notificationId: queued.notificationId })).toBe("disabled");
      expect(smtp.mails).toHaveLength(0);
      const [row] = await q<{ emailed: boolean; email_attempts: number; email_error: string }>(
        sql`select emailed_at is not null as emailed, email_attempts, email_error from notifications where id = ${queued.notificationId}`,
      );
      expect(row).toEqual({ emailed: false, email_attempts: 0, email_error: EMAIL_SWITCHED_OFF });
      const during = await breach(w, "2026-04-02T00:00:00.000Z");
      expect(during.result.notified).toBe(1);
      expect(await jobsIn(QUEUES.email.name, { notificationId: during.notificationId })).toEqual([]);

      // Another org's email channel is its own.
      const elsewhere = await breach(other, "2026-04-03T00:00:00.000Z");
      expect(await handleEmail({ orgId: other.org.id, notificationId: elsewhere.notificationId })).toBe("sent");
      expect(smtp.mails.map((m) => m.to)).toEqual([[other.agent.email]]);

      await setFlag(w.admin, "notifications_email", null);
      const after = await breach(w, "2026-04-04T00:00:00.000Z");
      expect(await jobsIn(QUEUES.email.name, { notificationId: after.notificationId })).toHaveLength(1);
      expect(await handleEmail({ orgId: w.org.id, notificationId: after.notificationId })).toBe("sent");
      expect(smtp.mails.map((m) => m.to)).toEqual([[other.agent.email], [w.agent.email]]);
    } finally {
      await smtp.close();
    }
  });
});

describe("signup_tokens", () => {
  const invite = (a: Actor, body: Record<string, unknown>) =>
    call(createUserRoute, "POST", "/api/v1/users", { cookie: a.cookie, body });
  const reset = (a: Actor, id: string) =>
    call(resetRoute, "POST", `/api/v1/users/${id}/reset-password`, { cookie: a.cookie, params: { id } });
  const redeem = (url: string) =>
    call(setupRoute, "POST", "/api/v1/auth/setup", {
      body: { token: decodeURIComponent(new URL(url).pathname.split("/").pop()!), password: PASSWORD },
    });
  const email = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;
  const usersNamed = async (address: string) =>
    (await q<{ n: number }>(sql`select count(*)::int as n from users where lower(email) = ${address}`))[0]!.n;

  it("off: an invitation is 503 and creates nobody, a user with a password is still created; other orgs unaffected; on: invited", async () => {
    await setFlag(w.admin, "signup_tokens", false);
    const address = email("invitee");
    const refused = await invite(w.admin, { email: address, name: "Invitee", role: "customer" });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: "feature_disabled", details: { feature: "signup_tokens" } });
    expect(await usersNamed(address)).toBe(0);
    expect(
      (await invite(w.admin, { email: email("direct"), name: "Direct", role: "agent", password: PASSWORD })).status,
    ).toBe(201);
    expect((await invite(other.admin, { email: email("elsewhere"), name: "Elsewhere", role: "customer" })).status).toBe(
      201,
    );
    await setFlag(w.admin, "signup_tokens", null);
    const ok = await invite(w.admin, { email: address, name: "Invitee", role: "customer" });
    expect(ok.status).toBe(201);
    expect(ok.body.inviteUrl).toMatch(/\/setup\//);
  });

  it("off: an invitation link is refused (503) and stays usable, re-sending it is 503; a password-reset link still works", async () => {
    const invited = await invite(w.admin, { email: email("later"), name: "Later", role: "customer" });
    expect(invited.status).toBe(201);
    const member = await createUser(w.org, { role: "customer" });
    await setFlag(w.admin, "signup_tokens", false);

    const refused = await redeem(invited.body.inviteUrl!);
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ code: "feature_disabled", details: { feature: "signup_tokens" } });
    expect((await reset(w.admin, invited.body.id)).status).toBe(503);
    const resetLink = await reset(w.admin, member.id);
    expect(resetLink.status).toBe(200);
    expect(resetLink.body.purpose).toBe("password_reset");
    expect((await redeem(resetLink.body.resetUrl!)).status).toBe(200);

    await setFlag(w.admin, "signup_tokens", null);
    expect((await redeem(invited.body.inviteUrl!)).status).toBe(200);
  });

  it("FEATURES_DISABLED=signup_tokens: bootstrap refuses to print a setup link nobody could use, and creates nothing", async () => {
    setProcessEnv({ FEATURES_DISABLED: "signup_tokens" });
    await expect(
      bootstrapOrg({ name: "Switched Off Co", adminEmail: "owner@switched-off.test", slug: "switched-off-co" }),
    ).rejects.toMatchObject({ code: "feature_disabled" });
    expect(await q(sql`select id from orgs where slug = 'switched-off-co'`)).toEqual([]);
    setProcessEnv({ FEATURES_DISABLED: "" });
    const r = await bootstrapOrg({
      name: "Switched Off Co",
      adminEmail: "owner@switched-off.test",
      slug: "switched-off-co",
    });
    expect((await redeem(r.setupUrl)).status).toBe(200);
  });
});
