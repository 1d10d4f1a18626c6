import pg from "pg";

// The specs reach into the run's database (scripts/test-e2e.ts passes DATABASE_URL) to arrange
// states a person cannot reach by clicking: a forced password change, a revoked session.

/** Runs fn on a connection switched to beacon_system: every table has FORCE ROW LEVEL SECURITY. */
export async function asSystem<T>(fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set: run the specs through `npm run test:e2e`");
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    await db.query("select set_config('role', 'beacon_system', false)");
    return await fn(db);
  } finally {
    await db.end();
  }
}

export type SeededUser = {
  id: string;
  name: string;
  role: string;
  mustChangePassword: boolean;
  sessionVersion: number;
};

export async function userByEmail(email: string, orgSlug: string): Promise<SeededUser> {
  const r = await asSystem((db) =>
    db.query<SeededUser>(
      `select u.id, u.name, u.role, u.must_change_password as "mustChangePassword", u.session_version as "sessionVersion"
         from users u join orgs o on o.id = u.org_id
        where lower(u.email) = lower($1) and lower(o.slug) = lower($2)`,
      [email, orgSlug],
    ),
  );
  const user = r.rows[0];
  if (!user) throw new Error(`seeded user ${email} (${orgSlug}) not found: is the demo seed in place?`);
  return user;
}

export async function setMustChangePassword(userId: string, value: boolean): Promise<void> {
  await asSystem((db) => db.query("update users set must_change_password = $2 where id = $1", [userId, value]));
}

/** What an admin's "revoke sessions" does: every session issued before now stops working. */
export async function bumpSessionVersion(userId: string): Promise<void> {
  await asSystem((db) => db.query("update users set session_version = session_version + 1 where id = $1", [userId]));
}

export function demoPassword(): string {
  const p = process.env.E2E_PASSWORD;
  if (!p) throw new Error("E2E_PASSWORD is not set: run the specs through `npm run test:e2e`");
  return p;
}

export type SeededTicket = { id: string; number: number; subject: string };

/** A seeded ticket of the given requester (the most recently updated one). */
export async function ticketOf(requesterEmail: string, orgSlug: string): Promise<SeededTicket> {
  const r = await asSystem((db) =>
    db.query<SeededTicket>(
      `select t.id, t.number, t.subject
         from tickets t
         join users u on u.org_id = t.org_id and u.id = t.requester_id
         join orgs o on o.id = t.org_id
        where lower(u.email) = lower($1) and lower(o.slug) = lower($2)
        order by t.updated_at desc
        limit 1`,
      [requesterEmail, orgSlug],
    ),
  );
  const t = r.rows[0];
  if (!t) throw new Error(`no seeded ticket requested by ${requesterEmail} (${orgSlug})`);
  return t;
}

/** What the notify job writes for an in-app notification (the e2e server runs no worker). */
export async function addNotification(userId: string, ticket: SeededTicket, kind: string): Promise<void> {
  await asSystem((db) =>
    db.query(
      `insert into notifications (org_id, user_id, kind, ticket_id, payload, idempotency_key)
       select t.org_id, $1, $2, t.id, $3::jsonb, $4 from tickets t where t.id = $5`,
      [
        userId,
        kind,
        JSON.stringify({ ticket: { id: ticket.id, number: ticket.number, subject: ticket.subject } }),
        `e2e:${kind}:${ticket.id}:${userId}:${Date.now()}`,
        ticket.id,
      ],
    ),
  );
}
