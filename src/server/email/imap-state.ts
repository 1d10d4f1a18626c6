import "server-only";
import { sql } from "drizzle-orm";
import { unsafeWithSystem } from "../db/tenant";

// The fetcher's bookkeeping on email_mailboxes (decision 034). The worker serves every org, so
// these run on the system path (hence `unsafe…`), each statement keyed by org_id and id.
//
// One connection per mailbox across workers: a worker takes a mailbox by writing its name and a
// lease into the row (FOR UPDATE SKIP LOCKED, so two workers never take the same row), renews the
// lease while its session runs, and gives it back when the session ends. A worker that dies
// leaves a lease that expires after LEASE_SECONDS; then another worker takes the mailbox over.

export const LEASE_SECONDS = 60;

export type ClaimedMailbox = {
  orgId: string;
  id: string;
  host: string;
  port: number;
  tlsMode: "tls" | "starttls" | "none";
  username: string;
  passwordSealed: string;
  folder: string;
  afterImport: "mark_seen" | "move";
  moveTo: string | null;
  uidValidity: number | null;
  lastUid: number;
  consecutiveFailures: number;
  updatedAt: string;
  rcptTo: string;
};

type RawRow = {
  org_id: string;
  id: string;
  host: string;
  port: number;
  tls_mode: ClaimedMailbox["tlsMode"];
  username: string;
  password_sealed: string;
  folder: string;
  after_import: ClaimedMailbox["afterImport"];
  move_to: string | null;
  uid_validity: string | null;
  last_uid: string;
  consecutive_failures: number;
  updated_at: string;
  rcpt_to: string;
};

const toMailbox = (r: RawRow): ClaimedMailbox => ({
  orgId: r.org_id,
  id: r.id,
  host: r.host,
  port: r.port,
  tlsMode: r.tls_mode,
  username: r.username,
  passwordSealed: r.password_sealed,
  folder: r.folder,
  afterImport: r.after_import,
  moveTo: r.move_to,
  uidValidity: r.uid_validity === null ? null : Number(r.uid_validity),
  lastUid: Number(r.last_uid),
  consecutiveFailures: r.consecutive_failures,
  updatedAt: r.updated_at,
  rcptTo: r.rcpt_to,
});

/** Takes up to `limit` enabled mailboxes that are due and not leased by a live worker. */
export async function unsafeClaimMailboxes(
  owner: string,
  limit: number,
  onlyOrgs?: string[],
): Promise<ClaimedMailbox[]> {
  if (limit <= 0) return [];
  const orgFilter = onlyOrgs
    ? sql`and m.org_id in (${sql.join(
        onlyOrgs.map((o) => sql`${o}::uuid`),
        sql`, `,
      )})`
    : sql``;
  const rows = await unsafeWithSystem((tx) =>
    tx.execute<RawRow>(sql`
      with due as (
        select m.org_id, m.id from email_mailboxes m
        where m.enabled and (m.lease_until is null or m.lease_until < now()) and (m.next_attempt_at is null or m.next_attempt_at <= now()) ${orgFilter}
        order by m.next_attempt_at nulls first, m.created_at
        limit ${limit}
        for update skip locked)
      update email_mailboxes m set lease_owner = ${owner}, lease_until = now() + make_interval(secs => ${LEASE_SECONDS})
      from due, email_addresses a
      where m.org_id = due.org_id and m.id = due.id and a.org_id = m.org_id and a.id = m.address_id
      returning m.org_id, m.id, m.host, m.port, m.tls_mode, m.username, m.password_sealed, m.folder, m.after_import, m.move_to,
        m.uid_validity::text, m.last_uid::text, m.consecutive_failures, m.updated_at::text, a.address as rcpt_to`),
  );
  return rows.rows.map(toMailbox);
}

/**
 * Extends the lease; false when the session must end: the lease went to another worker, or an
 * admin changed, disabled or disconnected the mailbox since the session began.
 */
export async function unsafeRenewLease(mb: ClaimedMailbox, owner: string): Promise<boolean> {
  const r = await unsafeWithSystem((tx) =>
    tx.execute(sql`update email_mailboxes set lease_until = now() + make_interval(secs => ${LEASE_SECONDS})
      where org_id = ${mb.orgId} and id = ${mb.id} and lease_owner = ${owner} and enabled and updated_at = ${mb.updatedAt}::timestamptz returning 1`),
  );
  return (r.rowCount ?? 0) > 0;
}

/** Gives the mailbox back; the next session may start after `retryInSeconds`. */
export async function unsafeReleaseMailbox(mb: ClaimedMailbox, owner: string, retryInSeconds: number): Promise<void> {
  await unsafeWithSystem((tx) =>
    tx.execute(sql`update email_mailboxes set lease_owner = null, lease_until = null, next_attempt_at = now() + make_interval(secs => ${retryInSeconds})
      where org_id = ${mb.orgId} and id = ${mb.id} and lease_owner = ${owner}`),
  );
}

/** A look at the folder worked: the admin sees when mail was last fetched, the back-off starts over. */
export async function unsafeRecordFetched(mb: ClaimedMailbox): Promise<void> {
  await unsafeWithSystem((tx) =>
    tx.execute(
      sql`update email_mailboxes set last_fetched_at = now(), consecutive_failures = 0 where org_id = ${mb.orgId} and id = ${mb.id}`,
    ),
  );
}

/** Back-off after n failures in a row: 5 s, 10 s, 20 s … at most 15 minutes. */
export const backoffSeconds = (failures: number) => Math.min(900, 5 * 2 ** Math.max(0, failures - 1));

/** Records the failure for the admin (message without secrets) and gives the mailbox back with a back-off. */
export async function unsafeRecordFailure(mb: ClaimedMailbox, owner: string, message: string): Promise<number> {
  const r = await unsafeWithSystem((tx) =>
    tx.execute<{
      n: number;
    }>(sql`update email_mailboxes set last_error = ${message.slice(0, 500)}, last_error_at = now(),
        consecutive_failures = consecutive_failures + 1,
        next_attempt_at = now() + make_interval(secs => least(900, 5 * power(2, consecutive_failures)::int)),
        lease_owner = case when lease_owner = ${owner} then null else lease_owner end,
        lease_until = case when lease_owner = ${owner} then null else lease_until end
      where org_id = ${mb.orgId} and id = ${mb.id} returning consecutive_failures as n`),
  );
  return r.rows[0]?.n ?? 0;
}

/** The resume point stored now (another worker may have moved it since this session began). */
export async function unsafeResumePoint(mb: ClaimedMailbox): Promise<{ uidValidity: number | null; lastUid: number }> {
  const r = await unsafeWithSystem((tx) =>
    tx.execute<{ uid_validity: string | null; last_uid: string }>(
      sql`select uid_validity::text, last_uid::text from email_mailboxes where org_id = ${mb.orgId} and id = ${mb.id}`,
    ),
  );
  const row = r.rows[0];
  return {
    uidValidity: row?.uid_validity == null ? null : Number(row.uid_validity),
    lastUid: Number(row?.last_uid ?? 0),
  };
}

/** Moves the resume point forward, never back, and only within the UIDVALIDITY it belongs to. */
export async function unsafeAdvance(mb: ClaimedMailbox, uidValidity: number, uid: number): Promise<void> {
  await unsafeWithSystem((tx) =>
    tx.execute(
      sql`update email_mailboxes set last_uid = greatest(last_uid, ${uid}) where org_id = ${mb.orgId} and id = ${mb.id} and uid_validity = ${uidValidity} and updated_at = ${mb.updatedAt}::timestamptz`,
    ),
  );
}

/** A new UIDVALIDITY (or the first look): the UIDs up to `baseline` were dealt with as the backlog. */
export async function unsafeRestartAt(mb: ClaimedMailbox, uidValidity: number, baseline: number): Promise<void> {
  await unsafeWithSystem((tx) =>
    tx.execute(
      sql`update email_mailboxes set uid_validity = ${uidValidity}, last_uid = ${baseline} where org_id = ${mb.orgId} and id = ${mb.id} and updated_at = ${mb.updatedAt}::timestamptz`,
    ),
  );
}
