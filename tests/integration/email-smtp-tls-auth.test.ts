import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import nodemailer from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { parseEnv } from "../../src/server/env";
import {
  smtpSecurityFromEnv,
  startSmtpReceiver,
  type RunningSmtpReceiver,
  type SmtpAuth,
  type SmtpTls,
} from "../../src/server/email/smtp-receiver";
import { createSupportAddress, smtpCodeOf } from "../helpers/email";
import { createOrg } from "../helpers/factories";

// STARTTLS and AUTH on the SMTP receiver (decision 035), for a relay in front of Beacon: nodemailer
// against the real receiver on loopback, with a self-signed certificate made here by openssl that
// the client trusts explicitly.

let dir: string;
let tls: SmtpTls;
let support: string;
const running: RunningSmtpReceiver[] = [];
const AUTH: SmtpAuth = { user: "relay", password: `pw-${randomBytes(8).toString("hex")}` };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "beacon-smtp-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      path.join(dir, "key.pem"),
      "-out",
      path.join(dir, "cert.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  tls = {
    key: readFileSync(path.join(dir, "key.pem")),
    cert: readFileSync(path.join(dir, "cert.pem")),
    require: false,
  };
  support = await createSupportAddress(await createOrg());
});
afterAll(async () => {
  for (const r of running) await r.close();
  rmSync(dir, { recursive: true, force: true });
});

async function receiver(opts: { tls?: SmtpTls | null; auth?: SmtpAuth | null }): Promise<RunningSmtpReceiver> {
  const r = await startSmtpReceiver(
    { host: "127.0.0.1", port: 0 },
    { maxBytes: 1024 * 1024, ratePerMin: 1000, tls: opts.tls ?? null, auth: opts.auth ?? null },
  );
  running.push(r);
  return r;
}

const message = (mid: string) =>
  [`From: casey@customer.test`, `To: ${support}`, "Subject: Over TLS", `Message-ID: <${mid}>`, "", "Hello.", ""].join(
    "\r\n",
  );

/** Sends one message; `trust` adds the test certificate to the client's trusted CAs. */
async function send(port: number, client: Partial<SMTPTransport.Options> & { trust?: boolean }) {
  const { trust, ...options } = client;
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port,
    secure: false,
    connectionTimeout: 5_000,
    tls: { servername: "localhost", ...(trust ? { ca: [tls.cert as Buffer] } : {}) },
    ...options,
  } as SMTPTransport.Options);
  const mid = `tls-${randomBytes(4).toString("hex")}@customer.test`;
  try {
    const info = await transport.sendMail({
      envelope: { from: "casey@customer.test", to: [support] },
      raw: message(mid),
    });
    return { response: info.response, mid };
  } finally {
    transport.close();
  }
}
const stored = async (mid: string) =>
  (await unsafeWithSystem((tx) => tx.execute(sql`select 1 from inbound_messages where message_id = ${mid}`))).rows
    .length;

describe("STARTTLS", () => {
  it("a client that requires TLS and trusts the certificate upgrades and delivers; one that does not trust it gets nowhere", async () => {
    const rx = await receiver({ tls });
    const ok = await send(rx.port, { requireTLS: true, trust: true });
    expect(ok.response).toMatch(/^250 /);
    expect(await stored(ok.mid)).toBe(1);
    // The certificate really is the one presented: an untrusting client refuses it.
    await expect(send(rx.port, { requireTLS: true })).rejects.toThrow(/self[- ]signed|certificate/i);
  });

  it("INBOUND_SMTP_REQUIRE_TLS: mail before STARTTLS is refused with 530; after it, accepted", async () => {
    const rx = await receiver({ tls: { ...tls, require: true } });
    expect(await smtpCodeOf(send(rx.port, { ignoreTLS: true }))).toBe(530);
    expect((await send(rx.port, { requireTLS: true, trust: true })).response).toMatch(/^250 /);
  });

  it("without TLS configured the receiver offers no STARTTLS (a client requiring it fails)", async () => {
    const rx = await receiver({});
    await expect(send(rx.port, { requireTLS: true, trust: true })).rejects.toThrow(/STARTTLS/i);
    expect((await send(rx.port, { ignoreTLS: true })).response).toMatch(/^250 /);
  });
});

describe("AUTH", () => {
  it("required when configured: none is 530, a wrong password 535, the right one (PLAIN or LOGIN, over TLS) 250", async () => {
    const rx = await receiver({ tls, auth: AUTH });
    expect(await smtpCodeOf(send(rx.port, { requireTLS: true, trust: true }))).toBe(530);
    expect(
      await smtpCodeOf(send(rx.port, { requireTLS: true, trust: true, auth: { user: AUTH.user, pass: "wrong" } })),
    ).toBe(535);
    expect(
      await smtpCodeOf(send(rx.port, { requireTLS: true, trust: true, auth: { user: "other", pass: AUTH.password } })),
    ).toBe(535);
    const plain = await send(rx.port, {
      requireTLS: true,
      trust: true,
      auth: { user: AUTH.user, pass: AUTH.password },
      authMethod: "PLAIN",
    });
    expect(plain.response).toMatch(/^250 /);
    expect(await stored(plain.mid)).toBe(1);
    expect(
      (
        await send(rx.port, {
          requireTLS: true,
          trust: true,
          auth: { user: AUTH.user, pass: AUTH.password },
          authMethod: "LOGIN",
        })
      ).response,
    ).toMatch(/^250 /);
  });

  it("on loopback it is accepted without TLS (a relay on the same host)", async () => {
    const rx = await receiver({ auth: AUTH });
    expect((await send(rx.port, { ignoreTLS: true, auth: { user: AUTH.user, pass: AUTH.password } })).response).toMatch(
      /^250 /,
    );
    expect(await smtpCodeOf(send(rx.port, { ignoreTLS: true }))).toBe(530);
  });

  it("a password over plain TCP on a public address is refused by the configuration and by the receiver, before it listens", async () => {
    expect(() =>
      parseEnv({ INBOUND_SMTP_HOST: "0.0.0.0", INBOUND_SMTP_AUTH_USER: "relay", INBOUND_SMTP_AUTH_PASSWORD: "x" }),
    ).toThrow(/INBOUND_SMTP_AUTH_USER needs INBOUND_SMTP_TLS_KEY/);
    expect(() => parseEnv({ INBOUND_SMTP_AUTH_USER: "relay", INBOUND_SMTP_AUTH_PASSWORD: "x" })).not.toThrow();
    await expect(startSmtpReceiver({ host: "0.0.0.0", port: 0 }, { tls: null, auth: AUTH })).rejects.toThrow(
      /loopback address only/,
    );
  });
});

describe("configuration", () => {
  it("key and certificate come in pairs, as do user and password; REQUIRE_TLS needs TLS", () => {
    expect(() => parseEnv({ INBOUND_SMTP_TLS_KEY: "/k.pem" })).toThrow(/INBOUND_SMTP_TLS_CERT is required/);
    expect(() => parseEnv({ INBOUND_SMTP_AUTH_PASSWORD: "x" })).toThrow(/INBOUND_SMTP_AUTH_USER is required/);
    expect(() => parseEnv({ INBOUND_SMTP_REQUIRE_TLS: "true" })).toThrow(/INBOUND_SMTP_REQUIRE_TLS needs/);
  });

  it("reads the PEM files named by the environment, and names the variable of one it cannot read", () => {
    const e = parseEnv({
      INBOUND_SMTP_TLS_KEY: path.join(dir, "key.pem"),
      INBOUND_SMTP_TLS_CERT: path.join(dir, "cert.pem"),
      INBOUND_SMTP_REQUIRE_TLS: "1",
      INBOUND_SMTP_AUTH_USER: "u",
      INBOUND_SMTP_AUTH_PASSWORD: "p",
    });
    const s = smtpSecurityFromEnv(e);
    expect(s.tls?.require).toBe(true);
    expect(s.tls?.cert.toString()).toContain("BEGIN CERTIFICATE");
    expect(s.auth).toEqual({ user: "u", password: "p" });
    expect(() => smtpSecurityFromEnv({ ...e, INBOUND_SMTP_TLS_KEY: path.join(dir, "missing.pem") })).toThrow(
      /INBOUND_SMTP_TLS_KEY: cannot read/,
    );
  });
});
