import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import pg from "pg";

// The request pool's login role (docs/decisions/027-request-login-role.md). Request work connects
// as a role that is a member of beacon_app only, so SQL that escapes the app cannot switch to
// beacon_system (or to the owner): PostgreSQL refuses `SET ROLE` to a role one is not a member
// of, and `RESET ROLE` falls back to this login role, which has no privileges of its own
// (NOINHERIT). The owner (DATABASE_URL) keeps the system paths: unsafeWithSystem, jobs, health.

export const WEB_ROLE = "beacon_web";

/**
 * The web role's password, derived from the owner's: HMAC-SHA256(owner password, "beacon_web").
 * Nothing new to store or rotate: rotating the owner's password and re-running db:migrate
 * rotates this one. An owner URL without a password (trust, peer or .pgpass auth) gives the web
 * role no password at all (PASSWORD NULL: password authentication always fails for it).
 */
export function derivedWebPassword(ownerUrl: string): string | null {
  const owner = decodeURIComponent(new URL(ownerUrl).password);
  if (!owner) return null;
  return createHmac("sha256", owner).update(WEB_ROLE).digest("base64url");
}

/** DATABASE_WEB_URL when set, otherwise DATABASE_URL with the web role and its derived password. */
export function webDatabaseUrl(ownerUrl: string, explicit?: string): string {
  if (explicit) return explicit;
  const u = new URL(ownerUrl);
  u.username = WEB_ROLE;
  u.password = derivedWebPassword(ownerUrl) ?? "";
  return u.toString();
}

/**
 * A SCRAM-SHA-256 verifier (RFC 5802/7677, PostgreSQL's pg_authid format), so that
 * `ALTER ROLE … PASSWORD` never carries the password itself into a server log.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

export class WebRoleError extends Error {}

/** The exact statements an operator runs when the migrating user cannot create the role. */
export function webRoleStatements(role = WEB_ROLE): string[] {
  return [
    `CREATE ROLE ${role} LOGIN NOINHERIT NOBYPASSRLS PASSWORD '<a new password>';`,
    `GRANT beacon_app TO ${role};`,
  ];
}

/** Problems with a request login role: it must log in, be a member of beacon_app only, and bypass nothing. */
export async function webRoleProblems(client: Pick<pg.ClientBase, "query">, role: string): Promise<string[]> {
  const r = await client.query<{
    login: boolean;
    su: boolean;
    bypass: boolean;
    createrole: boolean;
    member_of: string[];
  }>(
    `select r.rolcanlogin as login, r.rolsuper as su, r.rolbypassrls as bypass, r.rolcreaterole as createrole,
            coalesce(array(select g.rolname::text from pg_auth_members m join pg_roles g on g.oid = m.roleid
                            where m.member = r.oid order by 1), '{}') as member_of
       from pg_roles r where r.rolname = $1`,
    [role],
  );
  const row = r.rows[0];
  if (!row) return [`role ${role} does not exist`];
  const problems: string[] = [];
  if (!row.login) problems.push(`${role} cannot log in`);
  if (row.su) problems.push(`${role} is a superuser`);
  if (row.bypass) problems.push(`${role} has BYPASSRLS`);
  if (row.createrole) problems.push(`${role} has CREATEROLE`);
  if (!row.member_of.includes("beacon_app")) problems.push(`${role} is not a member of beacon_app`);
  const extra = row.member_of.filter((m) => m !== "beacon_app");
  if (extra.length) problems.push(`${role} is also a member of ${extra.join(", ")} (must be beacon_app only)`);
  return problems;
}

/**
 * Part of the migrate step (under its advisory lock): creates or updates beacon_web when the
 * migrating user may (superuser or CREATEROLE), or checks the role DATABASE_WEB_URL names.
 * Throws a WebRoleError with the exact statements otherwise.
 */
export async function ensureWebRole(client: pg.ClientBase, ownerUrl: string, explicitWebUrl?: string): Promise<void> {
  if (explicitWebUrl) {
    const role = decodeURIComponent(new URL(explicitWebUrl).username);
    const problems = await webRoleProblems(client, role);
    if (problems.length) {
      throw new WebRoleError(
        `DATABASE_WEB_URL's role: ${problems.join("; ")}. As a superuser or CREATEROLE user: ${webRoleStatements(ident(role)).join(" ")}`,
      );
    }
    return;
  }
  const password = derivedWebPassword(ownerUrl);
  const secret = password === null ? "NULL" : `'${scramVerifier(password)}'`;
  const exists = (await client.query(`select 1 from pg_roles where rolname = $1`, [WEB_ROLE])).rowCount! > 0;
  try {
    if (!exists) {
      try {
        await client.query(`CREATE ROLE ${WEB_ROLE} LOGIN NOINHERIT NOBYPASSRLS PASSWORD ${secret} IN ROLE beacon_app`);
      } catch (err) {
        // Another database of the same cluster created it at the same moment: update it below.
        if (!["42710", "23505"].includes((err as { code?: string }).code ?? "")) throw err;
      }
    }
    if (!(await passwordIsCurrent(client, password))) {
      // Roles are cluster-wide and the migrate lock is per database: two databases of one cluster
      // migrating at once may update the same pg_authid row ("tuple concurrently updated").
      for (let attempt = 0; ; attempt++) {
        try {
          await client.query(`ALTER ROLE ${WEB_ROLE} LOGIN NOINHERIT PASSWORD ${secret}`);
          break;
        } catch (err) {
          if ((err as { code?: string }).code !== "XX000" || attempt >= 5) throw err;
          await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
        }
      }
    }
    const member = await client.query(`select pg_has_role($1, 'beacon_app', 'MEMBER') as ok`, [WEB_ROLE]);
    if (!member.rows[0]?.ok) await client.query(`GRANT beacon_app TO ${WEB_ROLE}`);
  } catch (err) {
    if ((err as { code?: string }).code !== "42501") throw err;
    throw new WebRoleError(
      `${(err as Error).message}: the migrating user cannot ${exists ? "set the password of" : "create"} the request login role ${WEB_ROLE} ` +
        `(it needs CREATEROLE). As a superuser or CREATEROLE user run: ${webRoleStatements().join(" ")} ` +
        `Then set DATABASE_WEB_URL to DATABASE_URL with user ${WEB_ROLE} and that password, and run db:migrate again (docs/runbooks.md#database-roles).`,
    );
  }
  const problems = await webRoleProblems(client, WEB_ROLE);
  if (problems.length)
    throw new WebRoleError(`request login role: ${problems.join("; ")} (docs/runbooks.md#database-roles)`);
}

/**
 * True when the stored password already is this one (readable only by a superuser; others always
 * re-set it). Saves a catalog write on every migrate of every database of the cluster.
 */
async function passwordIsCurrent(client: pg.ClientBase, password: string | null): Promise<boolean> {
  const su = await client.query<{ su: boolean }>(`select rolsuper as su from pg_roles where rolname = current_user`);
  if (!su.rows[0]?.su) return false;
  const r = await client.query<{ pw: string | null; login: boolean; inherit: boolean }>(
    `select rolpassword as pw, rolcanlogin as login, rolinherit as inherit from pg_authid where rolname = $1`,
    [WEB_ROLE],
  );
  const row = r.rows[0];
  if (!row || !row.login || row.inherit) return false;
  if (password === null) return row.pw === null;
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$/.exec(row.pw ?? "");
  return !!m && scramVerifier(password, Buffer.from(m[2]!, "base64"), Number(m[1])) === row.pw;
}

/** Logs in as the request role once and switches to beacon_app, so a wrong password fails the deploy, not the first request. */
export async function assertWebLogin(webUrl: string): Promise<void> {
  const c = new pg.Client({
    connectionString: webUrl,
    connectionTimeoutMillis: 5_000,
    application_name: "beacon-migrate",
  });
  c.on("error", () => undefined);
  try {
    await c.connect();
    await c.query("begin");
    await c.query("select set_config('role', 'beacon_app', true)");
    await c.query("rollback");
  } catch (err) {
    const u = new URL(webUrl);
    throw new WebRoleError(
      `the request role ${decodeURIComponent(u.username)} cannot log in to ${u.hostname}:${u.port || 5432}${u.pathname}: ${(err as Error).message} (docs/runbooks.md#database-roles)`,
    );
  } finally {
    await c.end().catch(() => undefined);
  }
}
