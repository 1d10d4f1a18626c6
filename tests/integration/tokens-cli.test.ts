import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { runScript, type ScriptRun } from "../helpers/run-script";
import { GET as me } from "../helpers/http";
import { POST as createToken } from "../helpers/http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { createOrg, createUser, sessionCookie, type TestOrg, type TestUser } from "../helpers/factories";
import { call } from "../helpers/http";

// Issue 21 (runbook: revoking one API token): the token string carries its id, and
// `npm run tokens -- revoke <id | token>` revokes it without hand-written SQL.

function tokensCli(args: string[]): Promise<ScriptRun> {
  return runScript("tokens.ts", args, { drop: ["BEACON_EMBEDDED_DB", "npm_execpath"] });
}

let org: TestOrg, other: TestOrg, u: TestUser, v: TestUser;
beforeAll(async () => {
  [org, other] = await Promise.all([createOrg(), createOrg()]);
  u = await createUser(org, { role: "agent" });
  v = await createUser(other, { role: "agent" });
});

async function newToken(who: TestUser, name: string) {
  const r = await call(createToken, "POST", "/api/v1/me/tokens", { cookie: await sessionCookie(who), body: { name } });
  expect(r.status, r.text).toBe(201);
  return r.body as { id: string; token: string };
}
const status = async (token: string) => (await call(me, "GET", "/api/v1/me", { token })).status;

describe("npm run tokens -- revoke", () => {
  it("revokes one token by the id its string carries, audited in its org; the rest keep working", async () => {
    const leaked = await newToken(u, "leaked");
    const keep = await newToken(u, "keep");
    const otherOrgs = await newToken(v, "other");
    const idHex = leaked.token.split("_")[2]!;
    expect(idHex).toBe(leaked.id.replace(/-/g, ""));

    const r = await tokensCli(["revoke", idHex]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`revoked: token ${leaked.id} "leaked" of ${u.email}`);
    expect(r.stdout + r.stderr).not.toContain(leaked.token);
    expect(await status(leaked.token)).toBe(401);
    expect(await status(keep.token)).toBe(200);
    expect(await status(otherOrgs.token)).toBe(200);
    const audit = await unsafeWithSystem((tx) =>
      tx.execute<{ org_id: string; data: { tokenId: string; via: string } }>(
        sql`select org_id, data from audit_events where action = 'token.revoked' and data->>'tokenId' = ${leaked.id}`,
      ),
    );
    expect(audit.rows).toEqual([
      { org_id: org.id, data: expect.objectContaining({ tokenId: leaked.id, via: "operator" }) },
    ]);

    // Again (by UUID, JSON): idempotent.
    const again = await tokensCli(["revoke", leaked.id, "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: "already_revoked", id: leaked.id, orgId: org.id });
  }, 120_000);

  it("revokes by the whole token string, also a token minted before ids; unknown is exit 3, garbage exit 2", async () => {
    const legacy = `bcn_${org.id.replace(/-/g, "")}_${"Q".repeat(43)}`;
    await unsafeWithSystem((tx) =>
      tx.execute(sql`insert into api_tokens (org_id, user_id, name, token_hash, session_version, expires_at)
        values (${org.id}, ${u.id}, 'legacy', encode(sha256(${legacy}::bytea), 'hex'), ${u.sessionVersion}, now() + interval '1 day')`),
    );
    expect(await status(legacy)).toBe(200);
    const r = await tokensCli(["revoke", legacy]);
    expect(r.code, r.stderr).toBe(0);
    expect(await status(legacy)).toBe(401);
    expect((await tokensCli(["revoke", "0".repeat(32)])).code).toBe(3);
    const bad = await tokensCli(["revoke", "not-a-token"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Usage: npm run tokens/);
  }, 120_000);
});
