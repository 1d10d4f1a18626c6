import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { seal } from "../../src/server/auth/secret-box";
import { AppError } from "../../src/server/core/errors";
import type { Principal } from "../../src/server/core/principal";
import type { Scope } from "../../src/server/core/scope";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { applyInbound } from "../../src/server/intake/apply-inbound";
import { setImapTlsOptionsForTests } from "../../src/server/email/imap-client";
import { startImapFetcher, type RunningImapFetcher } from "../../src/server/email/imap-fetcher";
import {
  connectMailbox,
  disconnectMailbox,
  IMAP_PASSWORD_PURPOSE,
  listMailboxes,
  updateMailbox,
  type ConnectMailbox,
} from "../../src/server/email/mailboxes";
import { setProcessEnv } from "../../src/server/env";
import { setOutboundResolverForTests } from "../../src/server/outbound/guard";
import { startWorker } from "../../src/server/worker/worker";
import { metrics } from "../../src/server/observability/metrics";
import { DOVECOT_BIN, startDovecot, type Dovecot } from "../helpers/dovecot";
import { createSupportAddress } from "../helpers/email";
import { createOrg, createUser, type TestOrg, type TestUser } from "../helpers/factories";
import { waitFor } from "../helpers/jobs";

// IMAP mailboxes (issue 12 item 2, decision 034) against a real dovecot on loopback, started by
// tests/helpers/dovecot.ts. Each test uses folders of its own in the one test mailbox, and runs a
// fetcher restricted to its own orgs.

// Logins with a wrong password wait out dovecot's auth delay, and the full suite loads the machine.
vi.setConfig({ testTimeout: 60_000 });
const inCi = process.env.CI === "true";
if (!DOVECOT_BIN && !inCi)
  console.warn(
    "email-imap: skipped: dovecot is not installed (apt-get install dovecot-imapd; CI installs it and fails without it)",
  );
const suite = DOVECOT_BIN || inCi ? describe : describe.skip;

const CORPUS = path.resolve(import.meta.dirname, "../fixtures/email");
const corpus = (name: string, vars: Record<string, string>) => {
  let s = readFileSync(path.join(CORPUS, name)).toString("latin1");
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{{${k}}}`, v);
  return Buffer.from(s, "latin1");
};
const mid = (tag: string) => `${tag}-${randomBytes(6).toString("hex")}@mail.customer.test`;
const plain = (messageId: string, to: string, subject: string) =>
  Buffer.from(
    [
      `From: Sam Sender <sam@customer.test>`,
      `To: ${to}`,
      `Subject: ${subject}`,
      `Message-ID: <${messageId}>`,
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "",
      `Hello: ${subject}`,
      "",
    ].join("\r\n"),
  );

type World = { org: TestOrg; admin: TestUser; support: string; addressId: string };
let dove: Dovecot;
let A: World;
let B: World;
const fetchers: RunningImapFetcher[] = [];

async function world(): Promise<World> {
  const org = await createOrg();
  const admin = await createUser(org, { role: "admin" });
  const support = await createSupportAddress(org);
  const [a] = (
    await unsafeWithSystem((tx) =>
      tx.execute<{ id: string }>(sql`select id from email_addresses where org_id = ${org.id}`),
    )
  ).rows;
  return { org, admin, support, addressId: a!.id };
}

const principal = (u: TestUser): Principal => ({
  userId: u.id,
  orgId: u.orgId,
  role: u.role,
  email: u.email,
  name: u.email,
  mustChangePassword: false,
  sessionVersion: u.sessionVersion,
  via: "session",
});
const as = <T>(u: TestUser, fn: (s: Scope) => Promise<T>) =>
  withTenant(u.orgId, (tx) => fn({ tx, user: principal(u), requestId: randomUUID() }));

/** The AppError a call fails with (status and the field its issues name). */
async function refusal(p: Promise<unknown>): Promise<{ status: number; path?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const issues = (err.details as { issues?: { path: string }[] } | undefined)?.issues;
    return { status: err.status, path: issues?.[0]?.path, message: err.message };
  }
  throw new Error("expected a refusal");
}

const folderName = (tag: string) => `T-${tag}-${randomBytes(3).toString("hex")}`;
async function withClient<T>(fn: (c: Awaited<ReturnType<Dovecot["client"]>>) => Promise<T>): Promise<T> {
  const c = await dove.client();
  try {
    return await fn(c);
  } finally {
    await c.logout().catch(() => c.close());
  }
}
const append = (folder: string, raw: Buffer, flags: string[] = []) => withClient((c) => c.append(folder, raw, flags));
const createFolder = (folder: string) => withClient((c) => c.mailboxCreate(folder));
/** UID → flags of every message in the folder. */
const flagsIn = (folder: string) =>
  withClient(async (c) => {
    const lock = await c.getMailboxLock(folder);
    try {
      const out: Record<number, string[]> = {};
      if ((c.mailbox && c.mailbox.exists) || 0)
        for await (const m of c.fetch("1:*", { uid: true, flags: true })) out[m.uid] = [...(m.flags ?? [])];
      return out;
    } finally {
      lock.release();
    }
  });

const connect = (w: World, input: Partial<ConnectMailbox>) =>
  as(w.admin, (s) =>
    connectMailbox(s, {
      addressId: w.addressId,
      host: dove.host,
      port: dove.port,
      tlsMode: "none",
      username: dove.user,
      password: dove.password,
      ...input,
    }),
  );

function fetcher(orgs: World[], pollSeconds = 60): RunningImapFetcher {
  const f = startImapFetcher({
    owner: `test-${randomUUID().slice(0, 8)}`,
    pollSeconds,
    scanIntervalMs: 150,
    onlyOrgs: orgs.map((w) => w.org.id),
  });
  fetchers.push(f);
  return f;
}

type Stored = { id: string; message_id: string | null; rcpt_to: string; org_id: string; source: string };
const stored = async (orgId: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<Stored>(
        sql`select id, message_id, rcpt_to, org_id, source::text as source from inbound_messages where org_id = ${orgId} order by received_at, id`,
      ),
    )
  ).rows;
const storedWith = (orgId: string, messageId: string) =>
  stored(orgId).then((rows) => rows.filter((r) => r.message_id === messageId));
const mailbox = async (id: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{
        uid_validity: string | null;
        last_uid: string;
        last_error: string | null;
        consecutive_failures: number;
        last_fetched_at: string | null;
        next_attempt_at: string | null;
        lease_owner: string | null;
      }>(
        sql`select uid_validity::text, last_uid::text, last_error, consecutive_failures, last_fetched_at::text, next_attempt_at::text, lease_owner from email_mailboxes where id = ${id}`,
      ),
    )
  ).rows[0]!;

beforeAll(async () => {
  if (!DOVECOT_BIN && !inCi) return;
  dove = await startDovecot();
  A = await world();
  B = await world();
});
afterEach(async () => {
  await Promise.all(fetchers.splice(0).map((f) => f.stop(2_000)));
  setProcessEnv({
    FEATURES_DISABLED: "",
    OUTBOUND_ALLOW_PRIVATE: "127.0.0.0/8,::1/128",
    INBOUND_MAX_BYTES: String(25 * 1024 * 1024),
  });
});
afterAll(async () => {
  if (A)
    await unsafeWithSystem((tx) =>
      tx.execute(sql`delete from email_mailboxes where org_id in (${A.org.id}, ${B.org.id})`),
    );
  await dove?.stop();
});

suite("IMAP mailboxes against dovecot", () => {
  it("is installed (CI installs Debian's dovecot-imapd)", () => {
    expect(DOVECOT_BIN, "dovecot is missing: .ci/run installs it with apt-get install dovecot-imapd").toBeTruthy();
  });

  it("connect checks the mailbox live and names the field to fix; the password is never returned", async () => {
    const folder = folderName("connect");
    await createFolder(folder);
    expect(await refusal(connect(A, { folder, password: "not-the-password" }))).toMatchObject({
      status: 400,
      path: "password",
    });
    expect(await refusal(connect(A, { folder: `${folder}-missing` }))).toMatchObject({ status: 400, path: "folder" });
    expect(await refusal(connect(A, { folder, afterImport: "move", moveTo: `${folder}-nowhere` }))).toMatchObject({
      status: 400,
      path: "moveTo",
    });
    expect(await refusal(connect(A, { folder, port: 1 }))).toMatchObject({ status: 400, path: "host" });
    expect(await refusal(connect(A, { folder, addressId: B.addressId }))).toMatchObject({
      status: 400,
      path: "addressId",
    });
    // TLS "none" only inside OUTBOUND_ALLOW_PRIVATE; outside it the guard refuses loopback altogether.
    setProcessEnv({ OUTBOUND_ALLOW_PRIVATE: "" });
    expect(await refusal(connect(A, { folder, tlsMode: "tls" }))).toMatchObject({ status: 400, path: "host" });
    setProcessEnv({ OUTBOUND_ALLOW_PRIVATE: "127.0.0.0/8,::1/128" });
    expect((await as(A.admin, listMailboxes)).data.filter((m) => m.folder === folder)).toHaveLength(0);

    const m = await connect(A, { folder });
    expect(m).toMatchObject({
      folder,
      host: dove.host,
      port: dove.port,
      tlsMode: "none",
      address: A.support,
      enabled: true,
      lastUid: 0,
    });
    const listed = await as(A.admin, listMailboxes);
    const json = JSON.stringify(listed);
    expect(json).not.toContain(dove.password);
    expect(json).not.toMatch(/password/i);
    const sealedRow = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ password_sealed: string }>(sql`select password_sealed from email_mailboxes where id = ${m.id}`),
      )
    ).rows[0]!;
    expect(sealedRow.password_sealed).not.toContain(dove.password);
    expect(await refusal(connect(A, { folder }))).toMatchObject({ status: 409 });
    const agent = await createUser(A.org, { role: "agent" });
    expect(await refusal(as(agent, listMailboxes))).toMatchObject({ status: 403 });
  });

  it("new mail becomes tickets in the mailbox's org, marked seen; mail already read before connecting is left alone; IDLE brings new mail at once", async () => {
    const folder = folderName("seen");
    await createFolder(folder);
    const oldMid = mid("old");
    await append(folder, plain(oldMid, A.support, "Read long ago"), ["\\Seen"]);
    const gmail = mid("gmail");
    const html = mid("html");
    await append(folder, corpus("gmail-new.eml", { support: A.support, mid: gmail }));
    await append(folder, corpus("html-only.eml", { support: A.support, mid: html }));
    const m = await connect(A, { folder });
    const before = (await metrics().imapFetched.get()).values.reduce((n, v) => n + v.value, 0);
    fetcher([A]);
    const rows = await waitFor("both messages stored", async () => {
      const r = (await stored(A.org.id)).filter((x) => x.message_id === gmail || x.message_id === html);
      return r.length === 2 ? r : undefined;
    });
    expect(rows.every((r) => r.source === "imap" && r.rcpt_to === A.support)).toBe(true);
    expect(await storedWith(A.org.id, oldMid)).toHaveLength(0);
    await waitFor("both marked seen", async () =>
      Object.values(await flagsIn(folder)).every((f) => f.includes("\\Seen")),
    );
    const state = await waitFor("resume point after the backlog", async () => {
      const r = await mailbox(m.id);
      return r.last_uid === "3" ? r : undefined;
    });
    expect(state.last_fetched_at).not.toBeNull();
    expect((await metrics().imapFetched.get()).values.reduce((n, v) => n + v.value, 0) - before).toBeGreaterThanOrEqual(
      2,
    );

    for (const r of rows) await applyInbound({ orgId: A.org.id, inboundId: r.id });
    const tickets = await unsafeWithSystem((tx) =>
      tx.execute<{ subject: string; org_id: string }>(
        sql`select subject, org_id from tickets where org_id = ${A.org.id} order by subject`,
      ),
    );
    expect(tickets.rows.map((t) => t.subject)).toEqual(
      expect.arrayContaining(["Cannot log in to the dashboard", "Invoice question"]),
    );

    // The session now waits in IDLE (poll 60 s): a new message arrives within seconds.
    const live = mid("live");
    await append(folder, plain(live, A.support, "Arrived while idling"));
    await waitFor(
      "the new message stored through IDLE",
      async () => (await storedWith(A.org.id, live)).length === 1,
      10_000,
    );
  });

  it("a restart (new fetcher) imports nothing twice, and a crash between storing and marking re-fetches as a no-op", async () => {
    const folder = folderName("restart");
    await createFolder(folder);
    const first = mid("first");
    await append(folder, plain(first, A.support, "First"));
    const m = await connect(A, { folder });
    const f1 = fetcher([A]);
    await waitFor("first stored", async () => (await storedWith(A.org.id, first)).length === 1);
    await waitFor("first seen", async () => (await flagsIn(folder))[1]?.includes("\\Seen"));
    await f1.stop(2_000);
    // As if the worker died after storeInbound committed but before \Seen and last_uid: unseen again, resume point before it.
    await withClient(async (c) => {
      const lock = await c.getMailboxLock(folder);
      try {
        await c.messageFlagsRemove("1", ["\\Seen"], { uid: true });
      } finally {
        lock.release();
      }
    });
    await unsafeWithSystem((tx) => tx.execute(sql`update email_mailboxes set last_uid = 0 where id = ${m.id}`));
    const second = mid("second");
    await append(folder, plain(second, A.support, "Second"));
    fetcher([A]);
    await waitFor("second stored", async () => (await storedWith(A.org.id, second)).length === 1);
    await waitFor("all seen", async () => Object.values(await flagsIn(folder)).every((fl) => fl.includes("\\Seen")));
    expect(await storedWith(A.org.id, first)).toHaveLength(1);
    await waitFor("resume point past the second", async () => (await mailbox(m.id)).last_uid === "2");
  });

  it("after import, moves the message to the folder named, and takes the next one from the same folder", async () => {
    const folder = folderName("in");
    const done = folderName("done");
    await createFolder(folder);
    await createFolder(done);
    const one = mid("move");
    await append(folder, plain(one, A.support, "To be moved"));
    await connect(A, { folder, afterImport: "move", moveTo: done });
    fetcher([A]);
    await waitFor("stored", async () => (await storedWith(A.org.id, one)).length === 1);
    await waitFor(
      "moved",
      async () => Object.keys(await flagsIn(folder)).length === 0 && Object.keys(await flagsIn(done)).length === 1,
    );
  });

  it("a new UIDVALIDITY starts over from the unseen mail only, never re-importing the folder", async () => {
    const folder = folderName("uidv");
    await createFolder(folder);
    const one = mid("one");
    await append(folder, plain(one, A.support, "Before renumbering"));
    const m = await connect(A, { folder });
    const f = fetcher([A]);
    await waitFor("one stored", async () => (await storedWith(A.org.id, one)).length === 1);
    const before = (await mailbox(m.id)).uid_validity;
    await f.stop(2_000);
    // The server renumbers the folder: delete and create it again. A read copy and an unread one of
    // the old message, and a new message, are in it now.
    await withClient(async (c) => {
      await c.mailboxDelete(folder);
      await c.mailboxCreate(folder);
    });
    const seenOld = mid("seen-old");
    await append(folder, plain(seenOld, A.support, "Read before, must not come back"), ["\\Seen"]);
    await append(folder, plain(one, A.support, "Before renumbering"));
    const two = mid("two");
    await append(folder, plain(two, A.support, "After renumbering"));
    fetcher([A]);
    await waitFor("two stored", async () => (await storedWith(A.org.id, two)).length === 1);
    await waitFor("resume point on the new UIDVALIDITY", async () => (await mailbox(m.id)).uid_validity !== before);
    expect(await storedWith(A.org.id, one)).toHaveLength(1);
    expect(await storedWith(A.org.id, seenOld)).toHaveLength(0);
    expect(Number((await mailbox(m.id)).last_uid)).toBe(3);
  });

  it("a running mailbox whose password stopped working records the error for the admin, backs off, and never logs the password", async () => {
    const folder = folderName("auth");
    await createFolder(folder);
    const m = await connect(A, { folder });
    await unsafeWithSystem((tx) =>
      tx.execute(
        sql`update email_mailboxes set password_sealed = ${seal("changed-on-the-server", IMAP_PASSWORD_PURPOSE)} where id = ${m.id}`,
      ),
    );
    const authErrors = async () =>
      (await metrics().imapFetchErrors.get()).values.find((v) => v.labels.reason === "auth")?.value ?? 0;
    const before = await authErrors();
    fetcher([A]);
    const row = await waitFor("the failure recorded", async () => {
      const r = await mailbox(m.id);
      return r.consecutive_failures > 0 ? r : undefined;
    });
    expect(row.last_error).toMatch(/password/);
    expect(row.last_error).not.toContain("changed-on-the-server");
    expect(row.lease_owner).toBeNull();
    expect(new Date(row.next_attempt_at!).getTime()).toBeGreaterThan(Date.now());
    expect(await authErrors()).toBeGreaterThan(before);
    const listed = (await as(A.admin, listMailboxes)).data.find((x) => x.id === m.id)!;
    expect(listed).toMatchObject({ consecutiveFailures: 1, lastError: row.last_error });
    // The admin enters the right password: checked live, saved, the back-off cleared.
    const fixed = await as(A.admin, (s) => updateMailbox(s, { id: m.id, password: dove.password }));
    expect(fixed.consecutiveFailures).toBe(0);
  });

  it("with email_inbound switched off nothing is fetched and the mail stays unread; switched on, it is taken", async () => {
    const folder = folderName("paused");
    await createFolder(folder);
    await connect(A, { folder });
    setProcessEnv({ FEATURES_DISABLED: "email_inbound" });
    const held = mid("held");
    await append(folder, plain(held, A.support, "Held back"));
    fetcher([A], 1);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await storedWith(A.org.id, held)).toHaveLength(0);
    expect((await flagsIn(folder))[1]).not.toContain("\\Seen");
    setProcessEnv({ FEATURES_DISABLED: "" });
    await waitFor("taken once switched on", async () => (await storedWith(A.org.id, held)).length === 1);
    await waitFor("then seen", async () => (await flagsIn(folder))[1]?.includes("\\Seen"));
  });

  it("another org can neither list, change nor disconnect a mailbox, and a mailbox's mail lands in its own org only", async () => {
    const folderA = folderName("orgA");
    const folderB = folderName("orgB");
    await createFolder(folderA);
    await createFolder(folderB);
    const a = await connect(A, { folder: folderA });
    expect((await as(B.admin, listMailboxes)).data.map((x) => x.id)).not.toContain(a.id);
    expect(await refusal(as(B.admin, (s) => updateMailbox(s, { id: a.id, folder: folderB })))).toMatchObject({
      status: 404,
    });
    expect(await refusal(as(B.admin, (s) => disconnectMailbox(s, { id: a.id })))).toMatchObject({ status: 404 });
    expect((await as(A.admin, listMailboxes)).data.find((x) => x.id === a.id)).toMatchObject({ folder: folderA });

    await connect(B, { folder: folderB });
    const forA = mid("for-a");
    const forB = mid("for-b");
    await append(folderA, plain(forA, A.support, "For A"));
    await append(folderB, plain(forB, B.support, "For B"));
    fetcher([A, B]);
    await waitFor(
      "both stored",
      async () => (await storedWith(A.org.id, forA)).length === 1 && (await storedWith(B.org.id, forB)).length === 1,
    );
    expect(await storedWith(B.org.id, forA)).toHaveLength(0);
    expect(await storedWith(A.org.id, forB)).toHaveLength(0);
    expect((await storedWith(B.org.id, forB))[0]!.rcpt_to).toBe(B.support);

    await as(A.admin, (s) => disconnectMailbox(s, { id: a.id }));
    expect((await as(A.admin, listMailboxes)).data.map((x) => x.id)).not.toContain(a.id);
  });

  it("a message over INBOUND_MAX_BYTES is left unread for a person and skipped; the next one is taken", async () => {
    const folder = folderName("big");
    await createFolder(folder);
    const m = await connect(A, { folder });
    // Connected (first look done) before the mail arrives, so both are past the resume point.
    fetcher([A]);
    await waitFor("the first look", async () => (await mailbox(m.id)).uid_validity !== null);
    setProcessEnv({ INBOUND_MAX_BYTES: "2048" });
    const big = mid("big");
    const small = mid("small");
    await append(folder, Buffer.concat([plain(big, A.support, "Too big"), Buffer.from("x".repeat(4096) + "\r\n")]));
    await append(folder, plain(small, A.support, "Small enough"));
    await waitFor("the small one stored", async () => (await storedWith(A.org.id, small)).length === 1);
    await waitFor("resume point past both", async () => (await mailbox(m.id)).last_uid === "2");
    expect(await storedWith(A.org.id, big)).toHaveLength(0);
    const flags = await flagsIn(folder);
    expect(flags[1]).not.toContain("\\Seen");
    expect(flags[2]).toContain("\\Seen");
  });

  it("several fetchers share the mailboxes: one session per mailbox, each message stored once", async () => {
    const folder = folderName("many");
    await createFolder(folder);
    const m = await connect(A, { folder });
    const mids = Array.from({ length: 6 }, (_, i) => mid(`many${i}`));
    for (const [i, x] of mids.entries()) await append(folder, plain(x, A.support, `Many ${i}`));
    // Two sessions on one mailbox would both fetch and store the same messages: the second copy
    // would count as a duplicate. One lease, one session: none.
    const duplicates = async () =>
      (await metrics().imapFetched.get()).values.find((v) => v.labels.duplicate === "true")?.value ?? 0;
    const before = await duplicates();
    fetcher([A]);
    fetcher([A]);
    fetcher([A]);
    await waitFor("all stored", async () =>
      (await Promise.all(mids.map((x) => storedWith(A.org.id, x)))).every((r) => r.length === 1),
    );
    await waitFor("all seen", async () => Object.values(await flagsIn(folder)).every((fl) => fl.includes("\\Seen")));
    expect(await duplicates()).toBe(before);
    const owners = await unsafeWithSystem((tx) =>
      tx.execute<{ owner: string | null }>(sql`select lease_owner as owner from email_mailboxes where id = ${m.id}`),
    );
    expect(owners.rows[0]!.owner).not.toBeNull();
  });
});

suite("the worker runs the fetcher", () => {
  it("imports while it runs, and its drain ends the IDLE session and gives the mailbox back at once", async () => {
    const folder = folderName("worker");
    await createFolder(folder);
    const m = await connect(A, { folder });
    const message = mid("worker");
    await append(folder, plain(message, A.support, "Through the worker"));
    const worker = await startWorker({
      url: process.env.DATABASE_URL!,
      schedule: false,
      imap: { onlyOrgs: [A.org.id], pollSeconds: 60, scanIntervalMs: 150 },
    });
    try {
      await waitFor("stored by the worker's fetcher", async () => (await storedWith(A.org.id, message)).length === 1);
      await waitFor("the session holds its lease", async () => (await mailbox(m.id)).lease_owner !== null);
    } finally {
      const started = Date.now();
      await worker.stop(5_000);
      // Waiting in IDLE for up to 60 s, the session still ends within the drain.
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    expect((await mailbox(m.id)).lease_owner).toBeNull();
  });
});

suite("IMAP without IDLE", () => {
  let plainServer: Dovecot;
  beforeAll(async () => {
    plainServer = await startDovecot({ noIdle: true });
  });
  afterAll(async () => plainServer?.stop());

  it("polls every IMAP_POLL_SECONDS when the server has no IDLE", async () => {
    const m = await as(A.admin, (s) =>
      connectMailbox(s, {
        addressId: A.addressId,
        host: plainServer.host,
        port: plainServer.port,
        tlsMode: "none",
        username: plainServer.user,
        password: plainServer.password,
      }),
    );
    fetcher([A], 1);
    await waitFor("the first look", async () => (await mailbox(m.id)).uid_validity !== null);
    const c = await plainServer.client();
    expect(c.capabilities.has("IDLE")).toBe(false);
    const message = mid("polled");
    await c.append("INBOX", plain(message, A.support, "Found by polling"));
    await c.logout();
    await waitFor("found by the next poll", async () => (await storedWith(A.org.id, message)).length === 1, 10_000);
    await as(A.admin, (s) => disconnectMailbox(s, { id: m.id }));
  });
});

suite("IMAP over TLS", () => {
  let tls: Dovecot;
  let starttls: Dovecot;
  beforeAll(async () => {
    [tls, starttls] = await Promise.all([startDovecot({ tls: true }), startDovecot({ tls: "starttls" })]);
  });
  afterAll(async () => {
    setImapTlsOptionsForTests(undefined);
    await tls?.stop();
    await starttls?.stop();
  });

  it("STARTTLS: refuses a certificate nobody vouches for, naming tlsMode; connects once it is trusted", async () => {
    const input = {
      addressId: A.addressId,
      host: starttls.host,
      port: starttls.port,
      tlsMode: "starttls" as const,
      username: starttls.user,
      password: starttls.password,
      folder: "INBOX",
    };
    setImapTlsOptionsForTests(undefined);
    expect(await refusal(as(A.admin, (s) => connectMailbox(s, input)))).toMatchObject({ status: 400, path: "tlsMode" });
    setImapTlsOptionsForTests({ ca: starttls.ca });
    const m = await as(A.admin, (s) => connectMailbox(s, input));
    await as(A.admin, (s) => disconnectMailbox(s, { id: m.id }));
  });

  it("TLS none is refused for a host outside OUTBOUND_ALLOW_PRIVATE before anything is sent", async () => {
    setOutboundResolverForTests(async () => [{ address: "93.184.216.34", family: 4 }]);
    try {
      const input = {
        addressId: A.addressId,
        host: "imap.public-provider.test",
        port: 143,
        tlsMode: "none" as const,
        username: "u",
        password: "p",
      };
      expect(await refusal(as(A.admin, (s) => connectMailbox(s, input)))).toMatchObject({
        status: 400,
        path: "tlsMode",
      });
    } finally {
      setOutboundResolverForTests(undefined);
    }
  });

  it("implicit TLS: refuses a certificate nobody vouches for, naming tlsMode; connects once the certificate is trusted", async () => {
    setImapTlsOptionsForTests(undefined);
    const input = {
      addressId: A.addressId,
      host: tls.host,
      port: tls.port,
      tlsMode: "tls" as const,
      username: tls.user,
      password: tls.password,
      folder: "INBOX",
    };
    expect(await refusal(as(A.admin, (s) => connectMailbox(s, input)))).toMatchObject({ status: 400, path: "tlsMode" });
    setImapTlsOptionsForTests({ ca: tls.ca });
    const m = await as(A.admin, (s) => connectMailbox(s, input));
    const message = mid("tls");
    const c = await tls.client();
    await c.append("INBOX", plain(message, A.support, "Over TLS"));
    await c.logout();
    fetcher([A]);
    await waitFor("stored over TLS", async () => (await storedWith(A.org.id, message)).length === 1);
    await as(A.admin, (s) => disconnectMailbox(s, { id: m.id }));
  });
});
