import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { unsafeFindSupportAddress } from "../../src/server/email/addresses";
import { setProcessEnv } from "../../src/server/env";
import { DOVECOT_BIN, startDovecot, type Dovecot } from "../helpers/dovecot";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// The email channel's admin endpoints through the route table (issue 12 items 1, 2): support
// addresses and IMAP mailboxes (against a real dovecot), roles, and the walls between orgs.

let A: World, B: World;
beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
});

const unique = (local = "support") =>
  `${local}-${randomBytes(4).toString("hex")}@Example-${randomBytes(2).toString("hex")}.test`;
const auditOf = async (orgId: string, action: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ entity_id: string; data: Record<string, unknown> }>(
        sql`select entity_id, data from audit_events where org_id = ${orgId} and action = ${action} order by seq`,
      ),
    )
  ).rows;
const addresses = (who: { cookie: string }) =>
  call(apiRoute.GET, "GET", "/api/v1/email/addresses", { cookie: who.cookie });
const add = (who: { cookie: string }, body: unknown) =>
  call(apiRoute.POST, "POST", "/api/v1/email/addresses", { cookie: who.cookie, body });

describe("support addresses API", () => {
  it("an admin adds, lists, changes and removes addresses; each change is audited; the first is the default", async () => {
    const address = unique();
    const r = await add(A.admin, { address, displayName: "Acme Support" });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      address: address.toLowerCase(),
      displayName: "Acme Support",
      isDefault: true,
      mailboxes: 0,
    });
    expect(await unsafeFindSupportAddress(address)).toMatchObject({ orgId: A.org.id });
    const second = await add(A.admin, { address: unique("billing"), displayName: "Billing" });
    expect(second.body.isDefault).toBe(false);
    const made = await call(apiRoute.PATCH, "PATCH", `/api/v1/email/addresses/${second.body.id}`, {
      cookie: A.admin.cookie,
      body: { isDefault: true, displayName: "Billing team" },
    });
    expect(made.status, made.text).toBe(200);
    const list = (await addresses(A.admin)).body.data;
    expect(list.map((a: { id: string; isDefault: boolean }) => [a.id, a.isDefault])).toEqual([
      [second.body.id, true],
      [r.body.id, false],
    ]);
    expect(
      (await call(apiRoute.GET, "GET", `/api/v1/email/addresses/${r.body.id}`, { cookie: A.admin.cookie })).body
        .address,
    ).toBe(address.toLowerCase());
    expect(
      (await call(apiRoute.DELETE, "DELETE", `/api/v1/email/addresses/${second.body.id}`, { cookie: A.admin.cookie }))
        .status,
    ).toBe(204);
    // The default went with it: the one left takes over.
    expect((await addresses(A.admin)).body.data).toMatchObject([{ id: r.body.id, isDefault: true }]);
    expect(await unsafeFindSupportAddress(second.body.address)).toBeNull();
    expect((await auditOf(A.org.id, "email.address.created")).map((e) => e.entity_id)).toEqual(
      expect.arrayContaining([r.body.id, second.body.id]),
    );
    expect(
      (await auditOf(A.org.id, "email.address.updated")).find((e) => e.entity_id === second.body.id)?.data,
    ).toMatchObject({ changes: { isDefault: { from: false, to: true } } });
    expect((await auditOf(A.org.id, "email.address.deleted")).map((e) => e.entity_id)).toContain(second.body.id);
  });

  it("an address is unique across orgs, case-insensitively: 409 naming `address`, without saying which org has it", async () => {
    const address = unique();
    expect((await add(A.admin, { address })).status).toBe(201);
    const again = await add(A.admin, { address: address.toUpperCase() });
    expect(again.status).toBe(409);
    const theirs = await add(B.admin, { address: address.toUpperCase(), displayName: "x" });
    expect(theirs.status).toBe(409);
    expect(theirs.body.error).toMatchObject({ code: "conflict", details: { issues: [{ path: "address" }] } });
    expect(theirs.text).not.toContain(A.org.id);
    expect(theirs.text).not.toContain(A.org.slug);
    // Same answer as for B's own duplicate: nothing distinguishes "another org has it".
    const own = unique();
    await add(B.admin, { address: own });
    const ownDup = await add(B.admin, { address: own });
    expect(ownDup.body.error.message).toBe(theirs.body.error.message);
    // A rename onto a taken address is the same 409 and changes nothing.
    const b = (await addresses(B.admin)).body.data[0];
    const rename = await call(apiRoute.PATCH, "PATCH", `/api/v1/email/addresses/${b!.id}`, {
      cookie: B.admin.cookie,
      body: { address },
    });
    expect(rename.status).toBe(409);
    expect(
      (await call(apiRoute.GET, "GET", `/api/v1/email/addresses/${b!.id}`, { cookie: B.admin.cookie })).body.address,
    ).toBe(b!.address);
    expect((await unsafeFindSupportAddress(address))?.orgId).toBe(A.org.id);
  });

  it("bad input is a 400 that changes nothing", async () => {
    const before = (await addresses(A.admin)).body.data.length;
    for (const body of [
      {},
      { address: "not-an-address" },
      { address: "Support <s@x.test>" },
      { address: "support+tag@x.test" },
      { address: unique(), extra: 1 },
      { address: unique(), displayName: "x".repeat(201) },
      { address: unique(), isDefault: "yes" },
    ]) {
      const r = await add(A.admin, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await addresses(A.admin)).body.data.length).toBe(before);
    const [d] = (await addresses(A.admin)).body.data;
    expect(
      (
        await call(apiRoute.PATCH, "PATCH", `/api/v1/email/addresses/${d!.id}`, {
          cookie: A.admin.cookie,
          body: { isDefault: false },
        })
      ).status,
    ).toBe(400);
    expect(
      (await call(apiRoute.GET, "GET", "/api/v1/email/addresses/not-a-uuid", { cookie: A.admin.cookie })).status,
    ).toBe(400);
  });

  it("agents and customers are 403; another org's address is 404 to read, change and delete", async () => {
    for (const who of [A.agent, A.customer]) {
      expect((await addresses(who)).status).toBe(403);
      expect((await add(who, { address: unique() })).status).toBe(403);
    }
    const mine = (await add(A.admin, { address: unique("cross") })).body;
    expect(
      (await call(apiRoute.GET, "GET", `/api/v1/email/addresses/${mine.id}`, { cookie: B.admin.cookie })).status,
    ).toBe(404);
    expect(
      (
        await call(apiRoute.PATCH, "PATCH", `/api/v1/email/addresses/${mine.id}`, {
          cookie: B.admin.cookie,
          body: { displayName: "hijack" },
        })
      ).status,
    ).toBe(404);
    expect(
      (await call(apiRoute.DELETE, "DELETE", `/api/v1/email/addresses/${mine.id}`, { cookie: B.admin.cookie })).status,
    ).toBe(404);
    expect((await addresses(B.admin)).body.data.map((a: { id: string }) => a.id)).not.toContain(mine.id);
    expect(
      (await call(apiRoute.GET, "GET", `/api/v1/email/addresses/${mine.id}`, { cookie: A.admin.cookie })).body,
    ).toMatchObject({ displayName: "" });
  });
});

describe("email settings API", () => {
  it("an admin reads and changes the sender cap and DMARC domains (audited); bad values 400; agents 403; each org its own", async () => {
    const get = (who: { cookie: string }) =>
      call(apiRoute.GET, "GET", "/api/v1/email/settings", { cookie: who.cookie });
    const patch = (who: { cookie: string }, body: unknown) =>
      call(apiRoute.PATCH, "PATCH", "/api/v1/email/settings", { cookie: who.cookie, body });
    expect((await get(A.admin)).body).toEqual({
      ticketsPerSenderPerHour: 20,
      dmarcRefuseDomains: [],
      inboundOpenPolicy: "anyone",
      inboundOpenDomains: [],
    });
    expect((await get(A.agent)).status).toBe(403);
    expect((await patch(A.agent, { ticketsPerSenderPerHour: 5 })).status).toBe(403);
    for (const body of [
      { ticketsPerSenderPerHour: 0 },
      { ticketsPerSenderPerHour: 2.5 },
      { dmarcRefuseDomains: ["not a domain"] },
      { other: 1 },
    ]) {
      expect((await patch(A.admin, body)).status, JSON.stringify(body)).toBe(400);
    }
    const r = await patch(A.admin, {
      ticketsPerSenderPerHour: 5,
      dmarcRefuseDomains: ["Bank.Example", "bank.example", "shop.example"],
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      ticketsPerSenderPerHour: 5,
      dmarcRefuseDomains: ["bank.example", "shop.example"],
      inboundOpenPolicy: "anyone",
      inboundOpenDomains: [],
    });
    expect((await get(A.admin)).body).toEqual(r.body);
    expect((await get(B.admin)).body).toEqual({
      ticketsPerSenderPerHour: 20,
      dmarcRefuseDomains: [],
      inboundOpenPolicy: "anyone",
      inboundOpenDomains: [],
    });
    const events = await auditOf(A.org.id, "org.email_settings_changed");
    expect(events).toHaveLength(1);
    // The same values again change nothing and record nothing.
    await patch(A.admin, { dmarcRefuseDomains: ["shop.example", "bank.example"], ticketsPerSenderPerHour: 5 });
    expect(await auditOf(A.org.id, "org.email_settings_changed")).toHaveLength(1);
  });
});

const inCi = process.env.CI === "true";
const imapSuite = DOVECOT_BIN || inCi ? describe : describe.skip;

imapSuite("IMAP mailboxes API against dovecot", () => {
  let dove: Dovecot;
  beforeAll(async () => {
    setProcessEnv({ OUTBOUND_ALLOW_PRIVATE: "127.0.0.0/8,::1/128" });
    dove = await startDovecot();
  });
  afterAll(async () => {
    await unsafeWithSystem((tx) =>
      tx.execute(sql`delete from email_mailboxes where org_id in (${A.org.id}, ${B.org.id})`),
    );
    await dove?.stop();
  });

  it("an admin connects, lists, changes and disconnects a mailbox; the password is never returned; other orgs get 404", async () => {
    const address = (await add(A.admin, { address: unique("imap") })).body;
    const body = {
      addressId: address.id,
      host: dove.host,
      port: dove.port,
      tlsMode: "none",
      username: dove.user,
      password: dove.password,
      folder: "INBOX",
    };
    const wrong = await call(apiRoute.POST, "POST", "/api/v1/email/mailboxes", {
      cookie: A.admin.cookie,
      body: { ...body, password: "wrong-password" },
    });
    expect(wrong.status, wrong.text).toBe(400);
    expect(wrong.body.error.details.issues[0].path).toBe("password");
    expect(
      (await call(apiRoute.POST, "POST", "/api/v1/email/mailboxes", { cookie: A.agent.cookie, body })).status,
    ).toBe(403);
    // B cannot deliver into A's address.
    expect(
      (await call(apiRoute.POST, "POST", "/api/v1/email/mailboxes", { cookie: B.admin.cookie, body })).status,
    ).toBe(400);
    const r = await call(apiRoute.POST, "POST", "/api/v1/email/mailboxes", { cookie: A.admin.cookie, body });
    expect(r.status, r.text).toBe(201);
    expect(r.text).not.toContain(dove.password);
    expect(r.body).not.toHaveProperty("password");
    expect(r.body).toMatchObject({ address: address.address, host: dove.host, lastError: null, lastFetchedAt: null });
    const list = await call(apiRoute.GET, "GET", "/api/v1/email/mailboxes", { cookie: A.admin.cookie });
    expect(list.body.data.map((m: { id: string }) => m.id)).toEqual([r.body.id]);
    expect(list.text).not.toContain(dove.password);
    expect((await call(apiRoute.GET, "GET", "/api/v1/email/mailboxes", { cookie: B.admin.cookie })).body.data).toEqual(
      [],
    );
    expect(
      (
        await call(apiRoute.PATCH, "PATCH", `/api/v1/email/mailboxes/${r.body.id}`, {
          cookie: B.admin.cookie,
          body: { enabled: false },
        })
      ).status,
    ).toBe(404);
    expect(
      (await call(apiRoute.DELETE, "DELETE", `/api/v1/email/mailboxes/${r.body.id}`, { cookie: B.admin.cookie }))
        .status,
    ).toBe(404);
    // The address a mailbox delivers for cannot go from under it.
    expect(
      (await call(apiRoute.DELETE, "DELETE", `/api/v1/email/addresses/${address.id}`, { cookie: A.admin.cookie }))
        .status,
    ).toBe(409);
    const off = await call(apiRoute.PATCH, "PATCH", `/api/v1/email/mailboxes/${r.body.id}`, {
      cookie: A.admin.cookie,
      body: { enabled: false },
    });
    expect(off.status, off.text).toBe(200);
    expect(off.body.enabled).toBe(false);
    expect(
      (
        await call(apiRoute.PATCH, "PATCH", `/api/v1/email/mailboxes/${r.body.id}`, {
          cookie: A.admin.cookie,
          body: { port: 0 },
        })
      ).status,
    ).toBe(400);
    expect(
      (await call(apiRoute.DELETE, "DELETE", `/api/v1/email/mailboxes/${r.body.id}`, { cookie: A.admin.cookie }))
        .status,
    ).toBe(204);
    expect((await call(apiRoute.GET, "GET", "/api/v1/email/mailboxes", { cookie: A.admin.cookie })).body.data).toEqual(
      [],
    );
    expect(
      (await call(apiRoute.DELETE, "DELETE", `/api/v1/email/addresses/${address.id}`, { cookie: A.admin.cookie }))
        .status,
    ).toBe(204);
  });
});
