import { createRequire } from "node:module";
import path from "node:path";
import type { AuthOptions } from "next-auth";
import { encode, decode } from "next-auth/jwt";
import { beforeAll, describe, expect, it } from "vitest";
import { authOptions } from "../../src/server/auth/nextauth";
import { GET as meRoute } from "../helpers/http";
import {
  authSecret,
  encodeSession,
  SESSION_ABSOLUTE_MAX_SEC,
  SESSION_MAX_AGE_SEC,
  sessionCookieName,
} from "../../src/server/auth/session-cookie";
import { createOrg, createUser, type TestUser } from "../helpers/factories";
import { call } from "../helpers/http";

// Issue 18.13: GET /api/auth/session slides the 8 h idle window on every call, so a tab left open
// (or a stolen cookie polled) kept a session alive forever. The sign-in time `at` is stamped in the
// JWT, kept by every re-issue, and past SESSION_ABSOLUTE_MAX_SEC (7 days) the session is over.

// next-auth's package exports do not expose ./core; its App Router wrapper needs a Next request
// scope (next/headers). Its core handler is what both wrappers call: load it by path.
type CoreCookie = { name: string; value: string; options: Record<string, unknown> };
type CoreHandler = (p: {
  req: Record<string, unknown>;
  options: AuthOptions;
}) => Promise<{ body?: { user?: { id: string } }; cookies?: CoreCookie[] }>;
const { AuthHandler } = createRequire(import.meta.url)(path.resolve("node_modules/next-auth/core/index.js")) as {
  AuthHandler: CoreHandler;
};

let u: TestUser;
beforeAll(async () => {
  u = await createUser(await createOrg(), { role: "agent" });
});

const nowSec = () => Math.floor(Date.now() / 1000);
const cookieAt = async (at: number) =>
  `${sessionCookieName()}=${await encodeSession({ sub: u.id, oid: u.orgId, sv: u.sessionVersion, at })}`;
const me = (cookie: string) => call(meRoute, "GET", "/api/v1/me", { cookie });

/**
 * NextAuth's own GET /api/auth/session (its core handler with Beacon's options; the App Router
 * wrapper needs a Next request scope), the endpoint the client polls and which re-issues the cookie.
 */
async function nextAuthSession(cookie: string) {
  const [name, ...rest] = cookie.split("=");
  const res = await AuthHandler({
    req: {
      method: "GET",
      action: "session",
      cookies: { [name!]: rest.join("=") },
      headers: { host: "localhost:3000" },
      query: {},
      body: {},
    },
    options: authOptions(),
  });
  const cookies = res.cookies ?? [];
  const mine = cookies.find((c) => c.name === sessionCookieName());
  return { body: res.body ?? {}, mine, reissued: mine?.value ? `${mine.name}=${mine.value}` : undefined };
}

describe("absolute session lifetime", () => {
  it("a session inside its lifetime works, and sliding it keeps the sign-in time", async () => {
    const at = nowSec() - SESSION_ABSOLUTE_MAX_SEC + 120;
    const cookie = await cookieAt(at);
    expect((await me(cookie)).status).toBe(200);
    const s = await nextAuthSession(cookie);
    expect(s.body.user?.id).toBe(u.id);
    expect(s.reissued).toBeDefined();
    const jwt = await decode({ token: s.reissued!.slice(sessionCookieName().length + 1), secret: authSecret() });
    expect(jwt?.at).toBe(at);
    // The re-issued JWT expires with the absolute lifetime, not 8 hours later.
    expect(jwt!.exp as number).toBeLessThanOrEqual(at + SESSION_ABSOLUTE_MAX_SEC + 1);
    expect((jwt!.exp as number) - nowSec()).toBeLessThan(SESSION_MAX_AGE_SEC);
    expect((await me(s.reissued!)).status).toBe(200);
  });

  it("past the lifetime the API refuses it and /api/auth/session ends it instead of sliding it", async () => {
    const cookie = await cookieAt(nowSec() - SESSION_ABSOLUTE_MAX_SEC - 5);
    const r = await me(cookie);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("unauthenticated");
    const s = await nextAuthSession(cookie);
    expect(s.body.user).toBeUndefined();
    // The cookie is cleared (empty value, expired at once), never re-issued.
    expect(s.mine).toMatchObject({ value: "", options: expect.objectContaining({ maxAge: 0 }) });
    expect(s.reissued).toBeUndefined();
  });

  it("a JWT without a sign-in time (minted before it was stamped) is refused", async () => {
    const legacy = await encode({
      token: { sub: u.id, oid: u.orgId, sv: u.sessionVersion },
      secret: authSecret(),
      maxAge: SESSION_MAX_AGE_SEC,
    });
    const cookie = `${sessionCookieName()}=${legacy}`;
    expect((await me(cookie)).status).toBe(401);
    expect((await nextAuthSession(cookie)).body.user).toBeUndefined();
  });

  it("sign-in stamps the time: authorize() → jwt callback", async () => {
    const jwt = await authOptions().callbacks!.jwt!({
      token: {},
      user: { id: u.id, oid: u.orgId, sv: 0 } as never,
      account: null,
    } as never);
    expect(Math.abs((jwt.at as number) - nowSec())).toBeLessThanOrEqual(2);
  });
});
