import pg from "pg";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { api } from "../helpers/api";
import { jobsIn } from "../helpers/jobs";
import { QUEUES } from "../../src/server/jobs/queues";
import { createWorld, type World } from "../helpers/world";

// Issue 16 item 2 (decision 047): a ticket create and its first reply each send at most 6
// statements (BEGIN and COMMIT included) and leave at most 2 ticket row versions between them.
// Since decision 065, BEGIN shares its message with the tenant settings, so each sends 5.
// Counted at pg.Client#query around the real request handlers on the real database, so adding a
// statement to either write fails here.

let w: World;
beforeAll(async () => {
  w = await createWorld();
});

const VERSIONS =
  "select coalesce(sum(n_tup_ins + n_tup_upd), 0)::int as v from pg_stat_xact_user_tables where relname = 'tickets'";

type Counted<T> = { result: T; statements: string[]; named: string[]; ticketVersions: number };

/**
 * Runs fn with every statement the process sends counted, and the ticket row versions each
 * transaction made read from pg_stat_xact_user_tables right after its BEGIN and right before its
 * COMMIT, on the same connection (these probes are not counted; the difference is the transaction's own).
 */
async function counted<T>(fn: () => Promise<T>): Promise<Counted<T>> {
  const query = pg.Client.prototype.query as (...a: unknown[]) => Promise<unknown>;
  const statements: string[] = [];
  const named: string[] = [];
  let ticketVersions = 0;
  const probe = async (client: pg.Client) =>
    ((await query.apply(client, [VERSIONS])) as pg.QueryResult<{ v: number }>).rows[0]!.v;
  const opened = new Map<pg.Client, number>();
  pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
    const text = typeof a[0] === "string" ? a[0] : String((a[0] as { text?: string }).text ?? "");
    statements.push(text);
    if (typeof a[0] === "object" && (a[0] as { name?: string }).name) named.push(text);
    if (/^begin/i.test(text)) {
      return query.apply(this, a).then(async (r) => (opened.set(this, await probe(this)), r));
    }
    if (/^commit/i.test(text) && opened.has(this)) {
      return probe(this).then((v) => {
        ticketVersions += v - opened.get(this)!;
        opened.delete(this);
        return query.apply(this, a);
      });
    }
    return query.apply(this, a);
  } as typeof pg.Client.prototype.query;
  try {
    return { result: await fn(), statements, named, ticketVersions };
  } finally {
    pg.Client.prototype.query = query as typeof pg.Client.prototype.query;
  }
}

describe("each write done once", () => {
  it("create: ≤ 6 statements and 1 ticket row version; first reply: ≤ 6 statements and 1 more; everything a write leaves is there", async () => {
    // Warm the process's org cache the way any earlier request would.
    expect((await api.createTicket(w.customer, { subject: "warm", body: "up" })).status).toBe(201);

    const create = await counted(() =>
      api.createTicket(w.customer, { subject: "Printer on fire", body: "It is really on fire." }),
    );
    expect(create.result.status, create.result.text).toBe(201);
    expect(create.statements, create.statements.join("\n---\n")).toHaveLength(5);
    expect(create.ticketVersions).toBe(1);
    // The org's state and the write go as named prepared statements (decision 064): planned once per connection.
    expect(create.named.map((t) => t.slice(0, 40))).toEqual([
      expect.stringMatching(/^select o\.config_version/),
      expect.stringMatching(/^with n as \(update orgs/),
    ]);
    const id = create.result.body.id as string;

    const reply = await counted(() => api.addComment(w.agent, id, { body: "A technician is on the way." }));
    expect(reply.result.status, reply.result.text).toBe(201);
    expect(reply.statements, reply.statements.join("\n---\n")).toHaveLength(5);
    expect(reply.ticketVersions).toBe(1);
    expect(reply.named.map((t) => t.slice(0, 40))).toEqual([
      expect.stringMatching(/^select "org_id", "id"/),
      expect.stringMatching(/^with c as \(insert into "comments"/),
    ]);

    // What the two writes leave, as before: the reply stamped the first response and opened the
    // ticket, both texts are searchable, both SLA checks and events, the audit chain holds, and the
    // notify and reply-email jobs carry their snapshots.
    const t = (await api.getTicket(w.agent, id)).body;
    expect(t).toMatchObject({ status: "open" });
    expect(t.firstResponseAt).not.toBeNull();
    const [row] = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ subject: boolean; first: boolean; reply: boolean; check: string | null; events: number }>(sql`
      select t.search_vector @@ to_tsquery('english', 'printer') as subject, t.search_vector @@ to_tsquery('english', 'fire') as first,
             t.search_vector @@ to_tsquery('english', 'technician') as reply,
             (select next_check_at::text from sla_checks c where c.ticket_id = t.id) as check,
             (select count(*)::int from sla_events e where e.ticket_id = t.id) as events
      from tickets t where t.id = ${id}`),
      )
    ).rows;
    expect(row).toMatchObject({ subject: true, first: true, reply: true, events: 3 });
    expect(new Date(row!.check!).getTime()).toBe(new Date(t.resolveDue!).getTime() - 15 * 60_000);
    expect(await withTenant(w.org.id, (tx) => verifyChain(tx, w.org.id))).toMatchObject({ valid: true });
    const notes = await jobsIn(QUEUES.notify.name, { ticketId: id });
    expect(notes.map((j) => j.data.kind).sort()).toEqual(["ticket.created", "ticket.replied"]);
    const created = notes.find((j) => j.data.kind === "ticket.created")!.data as {
      snapshot: { ticket: { number: number; version: number } };
    };
    expect(created.snapshot.ticket).toMatchObject({ number: t.number, version: 1 });
    const replied = notes.find((j) => j.data.kind === "ticket.replied")!.data as {
      snapshot: { ticket: { version: number; status: string }; changes: unknown };
    };
    expect(replied.snapshot).toMatchObject({
      ticket: { version: 2, status: "open" },
      changes: { status: ["new", "open"] },
    });
  });

  it("an internal note is one update too, and leaves the search vector to public text", async () => {
    const c = await api.createTicket(w.customer, { subject: "Scanner", body: "It scans nothing." });
    const note = await counted(() =>
      api.addComment(w.agent, c.body.id, { body: "Probably the firmware", internal: true }),
    );
    expect(note.result.status).toBe(201);
    expect(note.statements).toHaveLength(5);
    expect(note.ticketVersions).toBe(1);
    const [row] = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ hit: boolean }>(
          sql`select search_vector @@ to_tsquery('english', 'firmware') as hit from tickets where id = ${c.body.id}`,
        ),
      )
    ).rows;
    expect(row!.hit).toBe(false);
  });

  it("a change to the org's SLA policy is seen by the next write of another process's cache (version check in the write's own read)", async () => {
    const before = (await api.createTicket(w.agent, { subject: "before", body: "x", priority: "urgent" })).body;
    expect(new Date(before.firstResponseDue!).getTime() - new Date(before.createdAt).getTime()).toBe(3600_000);
    await unsafeWithSystem((tx) =>
      tx.execute(
        sql`update sla_policies set first_response_minutes = 30 where org_id = ${w.org.id} and priority = 'urgent'`,
      ),
    );
    const after = (await api.createTicket(w.agent, { subject: "after", body: "x", priority: "urgent" })).body;
    expect(new Date(after.firstResponseDue!).getTime() - new Date(after.createdAt).getTime()).toBe(1800_000);
  });
});
