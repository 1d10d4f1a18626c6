import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { DOVECOT_BIN, startDovecot, type Dovecot } from "../helpers/dovecot";
import { createSupportAddress } from "../helpers/email";
import { createOrg, createUser, type TestOrg } from "../helpers/factories";
import { runScript } from "../helpers/run-script";

// `npm run email -- mailbox …` (docs/runbooks.md, "Connect an IMAP mailbox"): the operator's way to
// connect a mailbox until the admin API exists, against a real dovecot.

const inCi = process.env.CI === "true";
const suite = DOVECOT_BIN || inCi ? describe : describe.skip;

// `node scripts/run.mjs email …`, as `npm run email` runs it: one process, no tsx CLI in front.
const emailCli = (args: string[], stdin = "") => runScript("email.ts", args, { drop: ["BEACON_EMBEDDED_DB"], stdin });

let dove: Dovecot;
let org: TestOrg;
let support: string;
beforeAll(async () => {
  if (!DOVECOT_BIN && !inCi) return;
  dove = await startDovecot();
  org = await createOrg();
  await createUser(org, { role: "admin" });
  support = await createSupportAddress(org);
});
afterAll(async () => {
  if (org) await unsafeWithSystem((tx) => tx.execute(sql`delete from email_mailboxes where org_id = ${org.id}`));
  await dove?.stop();
});

// Six script runs, each loading tsx: about a minute on an idle machine, much more on a loaded one.
suite("npm run email -- mailbox", () => {
  it("adds (password on stdin, checked live), lists without the password, disables and removes a mailbox", async () => {
    const base = [
      "--org",
      org.slug,
      "--host",
      dove.host,
      "--port",
      String(dove.port),
      "--tls",
      "none",
      "--user",
      dove.user,
    ];
    const wrong = await emailCli(["mailbox", "add", ...base, "--address", support], "wrong-password\n");
    expect(wrong.code, wrong.stderr).toBe(3);
    expect(wrong.stderr).toMatch(/password/);

    const added = await emailCli(["mailbox", "add", ...base, "--address", support, "--json"], `${dove.password}\n`);
    expect(added.code, added.stderr).toBe(0);
    const m = JSON.parse(added.stdout) as { id: string; address: string; enabled: boolean };
    expect(m).toMatchObject({ address: support, enabled: true });

    const listed = await emailCli(["mailbox", "list", "--org", org.slug]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(m.id);
    expect(listed.stdout).not.toContain(dove.password);

    const disabled = await emailCli([
      "mailbox",
      "update",
      "--org",
      org.slug,
      "--id",
      m.id,
      "--enabled",
      "false",
      "--json",
    ]);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ enabled: false });

    const removed = await emailCli(["mailbox", "remove", "--org", org.slug, "--id", m.id]);
    expect(removed.code, removed.stderr).toBe(0);
    const gone = await unsafeWithSystem((tx) => tx.execute(sql`select 1 from email_mailboxes where id = ${m.id}`));
    expect(gone.rows).toHaveLength(0);
    expect((await emailCli(["mailbox", "frobnicate", "--org", org.slug])).code).toBe(2);
  }, 300_000);
});
