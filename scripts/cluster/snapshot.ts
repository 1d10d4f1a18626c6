// What the database holds once the job queues are quiet, read in one REPEATABLE READ snapshot:
// when that snapshot shows no notify/email/webhook job waiting, running or due for a retry,
// every notification and delivery caused by a change in it has been handled.
import pg from "pg";
import { sleep } from "./procs";

export type Snapshot = {
  at: number;
  pendingJobs: number;
  drained: boolean;
  jobs: { name: string; state: string; count: number }[];
  tickets: {
    id: string;
    org_id: string;
    number: number;
    subject: string;
    status: string;
    priority: string;
    assignee_id: string | null;
  }[];
  comments: { id: string; org_id: string; ticket_id: string; internal: boolean; body: string }[];
  audit: { org_id: string; request_id: string | null; action: string; entity_id: string | null }[];
  auditCounts: Map<string, number>;
  slaEvents: { org_id: string; ticket_id: string; metric: string; kind: string; due_at: Date; at: Date }[];
  notifications: {
    id: string;
    org_id: string;
    user_id: string;
    kind: string;
    ticket_id: string | null;
    idempotency_key: string;
    emailed_at: Date | null;
    email_attempts: number;
    email_error: string | null;
  }[];
  deliveries: {
    id: string;
    org_id: string;
    webhook_id: string;
    event: string;
    idempotency_key: string;
    status: string;
    attempts: number;
    delivered_at: Date | null;
  }[];
};

const PENDING = "state in ('created', 'retry', 'active')";
// Dead letters wait for a person (decision 022): they are not pending work, and the verdict
// counts them separately.
const QUEUES = ["notify", "email", "webhook"];

/** Polls until a snapshot shows the notification queues empty, or takes the last one at the deadline. */
export async function quiescentSnapshot(
  url: string,
  timeoutMs: number,
  onWait: (pending: number) => void,
): Promise<Snapshot> {
  const until = Date.now() + timeoutMs;
  let lastLog = 0;
  for (;;) {
    const final = Date.now() >= until;
    const s = await readSnapshot(url, !final).catch((err: unknown) => {
      onWait(-1);
      if (final) throw err;
      return null;
    });
    if (s && (s.drained || final)) return s;
    if (s && Date.now() - lastLog > 5_000) {
      onWait(s.pendingJobs);
      lastLog = Date.now();
    }
    await sleep(1_000);
  }
}

async function readSnapshot(url: string, onlyIfDrained: boolean): Promise<Snapshot | null> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    await c.query("begin isolation level repeatable read read only");
    const pending = await c.query<{ n: number }>(
      `select count(*)::int as n from pgboss.job where name = any($1::text[]) and ${PENDING}`,
      [QUEUES],
    );
    const pendingJobs = pending.rows[0]!.n;
    if (onlyIfDrained && pendingJobs > 0) {
      await c.query("rollback");
      return { at: Date.now(), pendingJobs, drained: false } as Snapshot;
    }
    const jobs = await c.query<{ name: string; state: string; count: number }>(
      `select name, state::text as state, count(*)::int as count from pgboss.job group by 1, 2 order by 1, 2`,
    );
    // Tenant tables through the documented cross-org role (works for a superuser and an owner alike).
    await c.query("set local role beacon_system");
    const tickets = await c.query(
      `select id, org_id, number, subject, status::text as status, priority::text as priority, assignee_id from tickets`,
    );
    const comments = await c.query(`select id, org_id, ticket_id, internal, body from comments`);
    const audit = await c.query(
      `select org_id, request_id, action, entity_id from audit_events where request_id like 'cl-%'`,
    );
    const auditCounts = await c.query<{ org_id: string; n: number }>(
      `select org_id, count(*)::int as n from audit_events group by 1`,
    );
    const slaEvents = await c.query(
      `select org_id, ticket_id, metric::text as metric, kind::text as kind, due_at, at from sla_events where kind in ('warn', 'breach')`,
    );
    const notifications = await c.query(
      `select id, org_id, user_id, kind, ticket_id, idempotency_key, emailed_at, email_attempts, email_error from notifications`,
    );
    const deliveries = await c.query(
      `select id, org_id, webhook_id, event, idempotency_key, status::text as status, attempts, delivered_at from webhook_deliveries`,
    );
    await c.query("commit");
    return {
      at: Date.now(),
      pendingJobs,
      drained: pendingJobs === 0,
      jobs: jobs.rows,
      tickets: tickets.rows,
      comments: comments.rows,
      audit: audit.rows,
      auditCounts: new Map(auditCounts.rows.map((r) => [r.org_id, r.n])),
      slaEvents: slaEvents.rows,
      notifications: notifications.rows,
      deliveries: deliveries.rows,
    } as Snapshot;
  } finally {
    await c.end();
  }
}
