import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { runScript } from "../helpers/run-script";
import { createOrg, createUser, type TestOrg, type TestUser } from "../helpers/factories";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { open, seal, sealedUnder } from "../../src/server/auth/secret-box";
import { TOTP_BOX } from "../../src/server/auth/second-factor";
import { replyToken, verifyReplyToken } from "../../src/server/email/reply-token";

// Rotating NEXTAUTH_SECRET (runbook: "Rotate NEXTAUTH_SECRET"): with the old secret listed in
// NEXTAUTH_SECRET_PREVIOUS, sealed secrets still open and reply tokens in mail already sent still
// thread; `npm run secrets -- reseal` moves every sealed secret to the new key, after which the old
// secret can go. Without that list, a rotation would lock every 2FA user out and stop every mailbox.
// The command cases spawn it (a boot each): slow on a loaded machine, hence their longer limits.

const ORIGINAL = process.env.NEXTAUTH_SECRET!;
const OLD = "old-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const NEW = "new-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const LOST = "lost-secret-0123456789abcdefghijklmnopqrstuvwxyz";
const TOTP = "JBSWY3DPEHPK3PXP";

function useSecrets(current: string, previous?: string) {
  setProcessEnv({ NEXTAUTH_SECRET: current, NEXTAUTH_SECRET_PREVIOUS: previous ?? "" });
  if (previous === undefined) delete process.env.NEXTAUTH_SECRET_PREVIOUS;
}

async function totpOf(u: TestUser): Promise<string> {
  const r = await unsafeWithSystem((tx) =>
    tx.execute<{ totp_secret: string }>(sql`select totp_secret from users where id = ${u.id}`),
  );
  return r.rows[0]!.totp_secret;
}

let org: TestOrg, enrolled: TestUser, stale: TestUser;
beforeAll(async () => {
  org = await createOrg();
  [enrolled, stale] = await Promise.all([createUser(org, { role: "agent" }), createUser(org, { role: "agent" })]);
  useSecrets(OLD);
  const underOld = seal(TOTP, TOTP_BOX);
  useSecrets(LOST);
  const underLost = seal(TOTP, TOTP_BOX);
  await unsafeWithSystem(async (tx) => {
    await tx.execute(sql`update users set totp_secret = ${underOld} where id = ${enrolled.id}`);
    await tx.execute(sql`update users set totp_secret = ${underLost} where id = ${stale.id}`);
  });
});
afterAll(() => useSecrets(ORIGINAL));

describe("rotating NEXTAUTH_SECRET", () => {
  it("keeps boxes and reply tokens of the previous secret readable while it is listed, and only then", async () => {
    useSecrets(OLD);
    const token = replyToken(org.id, 42);
    const sealed = await totpOf(enrolled);

    useSecrets(NEW, OLD);
    expect(open(sealed, TOTP_BOX)).toBe(TOTP);
    expect(sealedUnder(sealed, TOTP_BOX)).toBe("previous");
    expect(verifyReplyToken(token, org.id)).toBe(42);
    // A previous secret never signs: new tokens are the new secret's.
    expect(replyToken(org.id, 42)).not.toBe(token);

    useSecrets(NEW);
    expect(open(sealed, TOTP_BOX)).toBeNull();
    expect(verifyReplyToken(token, org.id)).toBeNull();
  });

  it("`npm run secrets -- reseal` moves every box to the new secret, leaves current ones, counts unreadable ones", async () => {
    const env = { NEXTAUTH_SECRET: NEW, NEXTAUTH_SECRET_PREVIOUS: OLD };
    const first = await runScript("secrets.ts", ["reseal", "--json"], {
      env,
      drop: ["BEACON_EMBEDDED_DB", "npm_execpath"],
    });
    expect(first.code, first.stderr).toBe(0);
    const users = (
      JSON.parse(first.stdout) as { table: string; resealed: number; current: number; unreadable: number }[]
    ).find((c) => c.table === "users")!;
    expect(users.resealed).toBeGreaterThanOrEqual(1);
    expect(users.unreadable).toBeGreaterThanOrEqual(1);

    useSecrets(NEW);
    expect(open(await totpOf(enrolled), TOTP_BOX)).toBe(TOTP);
    expect(sealedUnder(await totpOf(stale), TOTP_BOX)).toBe("unreadable");

    // Again: nothing left to move.
    const second = await runScript("secrets.ts", ["reseal"], { env, drop: ["BEACON_EMBEDDED_DB", "npm_execpath"] });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/users\.totp_secret: 0 resealed, \d+ already current, \d+ unreadable/);
    expect(second.stdout + second.stderr).not.toContain(OLD);
    expect(second.stdout + second.stderr).not.toContain(TOTP);
  }, 120_000);

  it("refuses a previous secret shorter than 32 characters at boot", async () => {
    const r = await runScript("secrets.ts", ["reseal"], {
      env: { NEXTAUTH_SECRET_PREVIOUS: "short" },
      drop: ["BEACON_EMBEDDED_DB", "npm_execpath"],
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("NEXTAUTH_SECRET_PREVIOUS");
    expect(r.stderr).not.toContain("short");
  }, 60_000);
});
