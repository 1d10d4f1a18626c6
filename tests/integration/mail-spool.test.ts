import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { setProcessEnv } from "../../src/server/env";
import { mailer } from "../../src/server/email/mailer";

// Issue 18.11: without SMTP_URL the .eml spool holds live invitation and reset links, so it must
// be readable by its owner only: the directory 0700 and each file 0600, also for a spool that an
// older version left world-readable.

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-spool-"));
afterAll(() => {
  setProcessEnv({ SMTP_URL: "" });
  fs.rmSync(dataDir, { recursive: true, force: true });
});
const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe("mail spool without SMTP_URL", () => {
  it("tightens an existing 0755 spool and its 0644 files, and writes new .eml files 0600", async () => {
    const spool = path.join(dataDir, "mail");
    fs.mkdirSync(spool, { mode: 0o755 });
    fs.chmodSync(spool, 0o755);
    const old = path.join(spool, "old-invitation.eml");
    fs.writeFileSync(old, "Subject: old\n\nhttp://localhost:3000/setup/secret");
    fs.chmodSync(old, 0o644);

    setProcessEnv({ BEACON_DATA_DIR: dataDir, SMTP_URL: "" });
    const m = mailer();
    expect(mode(spool)).toBe(0o700);
    expect(mode(old)).toBe(0o600);

    await m.send({
      from: "a@example.test",
      to: "b@example.test",
      subject: "reset",
      text: "http://localhost:3000/setup/x",
      messageId: "<spool-test@beacon>",
    });
    const written = fs.readdirSync(spool).filter((n) => n.includes("spool-test"));
    expect(written).toHaveLength(1);
    expect(mode(path.join(spool, written[0]!))).toBe(0o600);
    expect(mode(spool)).toBe(0o700);
  });

  it("creates a missing spool 0700 with files 0600", async () => {
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-spool-fresh-"));
    try {
      setProcessEnv({ BEACON_DATA_DIR: fresh, SMTP_URL: "" });
      await mailer().send({
        from: "a@example.test",
        to: "b@example.test",
        subject: "invite",
        text: "x",
        messageId: "<fresh@beacon>",
      });
      const spool = path.join(fresh, "mail");
      expect(mode(spool)).toBe(0o700);
      for (const n of fs.readdirSync(spool)) expect(mode(path.join(spool, n))).toBe(0o600);
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });
});
