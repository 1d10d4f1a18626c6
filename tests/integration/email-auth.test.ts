import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { dkimSign } from "mailauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { applyInbound } from "../../src/server/intake/apply-inbound";
import { answeredLocally, setMailAuthResolver } from "../../src/server/email/mail-auth";
import { startSmtpReceiver, type RunningSmtpReceiver } from "../../src/server/email/smtp-receiver";
import { storeInbound } from "../../src/server/email/store-inbound";
import { api } from "../helpers/api";
import { createSupportAddress, deliverAndApply } from "../helpers/email";
import { createWorld, type World } from "../helpers/world";

// SPF/DKIM/DMARC of inbound mail (decision 035), through the real SMTP receiver (which records the
// client's IP and HELO) and the apply job. DNS never leaves the machine: mailauth asks a resolver
// answering from the table below, where the test publishes the DKIM key it signs with, the SPF
// records and the DMARC policies. The messages are really signed and really verified.

const DIR = path.resolve(import.meta.dirname, "../fixtures/email");
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const dns: Record<string, string[][]> = {
  "s1._domainkey.gmail.test:TXT": [
    [`v=DKIM1; k=rsa; p=${publicKey.export({ type: "spki", format: "der" }).toString("base64")}`],
  ],
  "gmail.test:TXT": [["v=spf1 ip4:127.0.0.1 -all"]],
  "_dmarc.gmail.test:TXT": [["v=DMARC1; p=reject"]],
  // The victim's domain: its mail comes from 192.0.2.10 only, and forged mail is to be rejected.
  "customer.test:TXT": [["v=spf1 ip4:192.0.2.10 -all"]],
  "_dmarc.customer.test:TXT": [["v=DMARC1; p=reject"]],
};
const asked: string[] = [];

let rx: RunningSmtpReceiver;
beforeAll(async () => {
  setMailAuthResolver(async (name, rr) => {
    asked.push(`${name}:${rr}`);
    const v = dns[`${name.toLowerCase()}:${rr}`];
    if (v) return v;
    throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: "ENOTFOUND" });
  });
  rx = await startSmtpReceiver({ host: "127.0.0.1", port: 0 }, { maxBytes: 1024 * 1024, ratePerMin: 1000 });
});
afterAll(async () => {
  setMailAuthResolver(null);
  await rx?.close();
});

const hex = () => randomBytes(4).toString("hex");
const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;

function fixture(name: string, vars: Record<string, string>): string {
  let s = readFileSync(path.join(DIR, name), "utf8").replace(/\r?\n/g, "\r\n");
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{{${k}}}`, v);
  expect(s).not.toMatch(/\{\{\w+\}\}/);
  return s;
}

async function signed(message: string, domain = "gmail.test"): Promise<string> {
  const key = {
    signingDomain: domain,
    selector: "s1",
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
  // The typings ask for the key at the top level; the signer reads signatureData.
  const r = await dkimSign(message, { ...key, signatureData: [key] });
  expect(r.errors).toEqual([]);
  return r.signatures + message;
}

const deliver = (to: string, raw: string, from: string) => deliverAndApply(rx.port, to, raw, from);

type Row = {
  status: string;
  reason: string | null;
  client_ip: string | null;
  helo: string | null;
  auth: Record<string, unknown> | null;
  ticket_id: string | null;
};
const row = async (id: string) =>
  (
    await q<Row>(
      sql`select status::text as status, reason, client_ip, helo, auth, ticket_id from inbound_messages where id = ${id}`,
    )
  )[0]!;
const emailOf = async (ticketId: string) =>
  (
    await q<{ email: { auth?: Record<string, string> } }>(
      sql`select email from comments where ticket_id = ${ticketId} order by created_at`,
    )
  ).map((c) => c.email);

async function orgWith(refuse?: string[]): Promise<{ w: World; support: string }> {
  const w = await createWorld();
  if (refuse)
    await unsafeWithSystem((tx) =>
      tx.execute(
        sql`update orgs set settings = settings || ${JSON.stringify({ dmarcRefuseDomains: refuse })}::jsonb where id = ${w.org.id}`,
      ),
    );
  return { w, support: await createSupportAddress(w.org) };
}

describe("SPF, DKIM and DMARC of mail the SMTP receiver took", () => {
  it("a really signed message from an allowed IP passes all three; the row, the comment and the comment API carry it", async () => {
    const { w, support } = await orgWith();
    const msg = await signed(fixture("gmail-new.eml", { support, mid: `g-${hex()}@gmail.test` }));
    const r = await deliver(support, msg, "robin.example@gmail.test");
    expect(r.outcome).toBe("ticket");
    expect(await row(r.inboundId)).toMatchObject({
      client_ip: "127.0.0.1",
      helo: expect.any(String),
      auth: { checked: true, spf: "pass", dkim: "pass", dmarc: "pass", fromDomain: "gmail.test" },
    });
    expect((await emailOf(r.ticketId!))[0]!.auth).toEqual({ spf: "pass", dkim: "pass", dmarc: "pass" });
    const listed = await api.listComments(w.agent, r.ticketId!);
    expect((listed.body as { data: { email: { auth?: unknown } }[] }).data[0]!.email.auth).toEqual({
      spf: "pass",
      dkim: "pass",
      dmarc: "pass",
    });
    expect(asked).toContain("s1._domainkey.gmail.test:TXT");
  });

  it("a signed message changed on the way fails DKIM", async () => {
    const { support } = await orgWith();
    const msg = (await signed(fixture("gmail-new.eml", { support, mid: `g-${hex()}@gmail.test` }))).replace(
      "cannot log in",
      "cannot sign in",
    );
    const r = await deliver(support, msg, "robin.example@gmail.test");
    expect((await row(r.inboundId)).auth).toMatchObject({ dkim: expect.not.stringMatching(/^pass$/) });
  });

  it("IMAP and webhook mail is recorded as not checked, whatever Authentication-Results header it carries", async () => {
    const { w, support } = await orgWith(["gmail.test"]);
    const raw = Buffer.from(
      `Authentication-Results: mx.evil.test; spf=pass; dkim=pass; dmarc=pass\r\n${fixture("gmail-new.eml", { support, mid: `g-${hex()}@gmail.test` })}`,
    );
    const stored = await storeInbound({ orgId: w.org.id, source: "webhook", raw, mailFrom: null, rcptTo: support });
    if (!stored.stored) throw new Error("not stored");
    const r = await applyInbound({ orgId: w.org.id, inboundId: stored.inboundId });
    expect(r.outcome).toBe("ticket");
    expect((await row(stored.inboundId)).auth).toMatchObject({
      checked: false,
      spf: "not checked",
      dkim: "not checked",
      dmarc: "not checked",
    });
  });
});

describe("the production resolver", () => {
  it("answers reserved names and bare hostnames itself, so demo and test mail asks no DNS server", () => {
    for (const n of [
      "_dmarc.customer.test",
      "s1._domainkey.acme.test",
      "x.example",
      "a.invalid",
      "localhost",
      "mybox",
      "mybox.",
      "host.local",
    ])
      expect(answeredLocally(n), n).toBe(true);
    for (const n of ["_dmarc.gmail.com", "example.com", "mail.test.org", "test"])
      expect(answeredLocally(n), n).toBe(n === "test");
  });
});

describe("an org refuses DMARC failures for the domains it names", () => {
  it("forged-from: a forged From of the requester, with the ticket's Message-ID and [#n], is rejected: no comment, no ticket", async () => {
    const { w, support } = await orgWith(["customer.test"]);
    // Casey's real mail comes through their own server (192.0.2.10): here, the webhook path.
    const orig = `orig-${hex()}@customer.test`;
    const first = await storeInbound({
      orgId: w.org.id,
      source: "webhook",
      mailFrom: null,
      rcptTo: support,
      raw: Buffer.from(
        `From: Casey Jones <casey@customer.test>\r\nTo: ${support}\r\nSubject: Printer on fire\r\nMessage-ID: <${orig}>\r\n\r\nIt burns.\r\n`,
      ),
    });
    if (!first.stored) throw new Error("not stored");
    const t = await applyInbound({ orgId: w.org.id, inboundId: first.inboundId });
    const [{ number }] = (await q<{ number: number }>(sql`select number from tickets where id = ${t.ticketId!}`)) as [
      { number: number },
    ];

    const forged = fixture("forged-from.eml", {
      support,
      mid: `f-${hex()}@evil.test`,
      victim: "Casey Jones <casey@customer.test>",
      orig,
      n: String(number),
    });
    const r = await deliver(support, forged, "casey@customer.test");
    expect(r).toMatchObject({ outcome: "rejected", reason: expect.stringMatching(/DMARC failed for customer\.test/) });
    expect(await row(r.inboundId)).toMatchObject({
      status: "rejected",
      ticket_id: null,
      auth: { spf: "fail", dkim: "none", dmarc: "fail" },
    });
    expect(await emailOf(t.ticketId!)).toHaveLength(1);
    expect((await q<{ n: number }>(sql`select count(*)::int as n from tickets where org_id = ${w.org.id}`))[0]!.n).toBe(
      1,
    );
  });

  it("a subdomain of a named domain is covered; a domain not named is applied and shows its DMARC fail to agents", async () => {
    const { w, support } = await orgWith(["customer.test"]);
    dns["_dmarc.mail.customer.test:TXT"] = [["v=DMARC1; p=reject"]];
    const sub = await deliver(
      support,
      fixture("forged-from.eml", {
        support,
        mid: `f-${hex()}@evil.test`,
        victim: "x@mail.customer.test",
        orig: "none@x",
        n: "999",
      }),
      "x@mail.customer.test",
    );
    expect(sub.outcome).toBe("rejected");

    const other = await orgWith(["example-other.test"]);
    const r = await deliver(
      other.support,
      fixture("forged-from.eml", {
        support: other.support,
        mid: `f-${hex()}@evil.test`,
        victim: "casey@customer.test",
        orig: "none@x",
        n: "999",
      }),
      "casey@customer.test",
    );
    expect(r.outcome).toBe("ticket");
    expect((await emailOf(r.ticketId!))[0]!.auth).toEqual({ spf: "fail", dkim: "none", dmarc: "fail" });
    expect(w.org.id).not.toBe(other.w.org.id);
  });

  it("across orgs: org B refusing a domain does not change what org A accepts", async () => {
    const a = await orgWith();
    const b = await orgWith(["customer.test"]);
    const msg = (s: string) =>
      fixture("forged-from.eml", {
        support: s,
        mid: `f-${hex()}@evil.test`,
        victim: "casey@customer.test",
        orig: "none@x",
        n: "1",
      });
    expect((await deliver(b.support, msg(b.support), "casey@customer.test")).outcome).toBe("rejected");
    expect((await deliver(a.support, msg(a.support), "casey@customer.test")).outcome).toBe("ticket");
  });
});
