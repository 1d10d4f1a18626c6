import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { apiRoute as exportRoute } from "../helpers/http";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { readCsvBatch } from "../../src/server/export/csv-batch";
import { csvRow } from "../../src/server/export/csv";
import { isoFromUtcJson, type Position } from "../../src/server/export/ticket-batches";
import { EXPORT_BATCH_SIZE } from "../../src/server/export/ticket-export-stream";
import { UserEmails } from "../../src/server/export/user-emails";
import { api, newTicket } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { createWorld, type Actor, type World } from "../helpers/world";

// The export's fast path (raw text rows, bytes written directly, emails looked up once per user,
// timestamps converted from PostgreSQL's JSON text) against reference values computed another
// way: csvRow over the database's values, to_char for timestamps, the ticket and comment APIs.

async function exportText(who: Actor, format: "csv" | "ndjson"): Promise<string> {
  const url = new URL("http://localhost/api/v1/export/tickets");
  url.searchParams.set("format", format);
  const res = await exportRoute.GET(
    new Request(url, { headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" } }),
  );
  expect(res.status).toBe(200);
  return res.text();
}

const ndjsonDocs = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { id: string; updatedAt: string; comments: { id: string }[] });

type Ref = {
  id: string;
  number: number;
  subject: string;
  status: string;
  priority: string;
  requester_id: string;
  requester_email: string | null;
  assignee_id: string | null;
  assignee_email: string | null;
  tags: string;
  ts: (string | null)[];
  satisfaction: string | null;
};

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** The org's CSV as the previous implementation defined it: csvRow over the values, to_char timestamps, (updated_at, id) order. */
async function referenceCsv(world: World): Promise<string> {
  const r = await unsafeWithSystem((tx) =>
    tx.execute<Ref>(sql`
    select t.id, t.number, t.subject, t.status, t.priority, t.requester_id, r.email as requester_email, t.assignee_id, a.email as assignee_email,
      array_to_string(t.tags, ' ') as tags,
      array[${sql.raw(
        [
          "created_at",
          "updated_at",
          "first_response_due",
          "first_response_at",
          "resolve_due",
          "resolved_at",
          "closed_at",
        ]
          .map((c) => `to_char(t.${c} at time zone 'UTC', ${ISO})`)
          .join(", "),
      )}] as ts,
      (select c.rating::text from csat_ratings c where c.org_id = t.org_id and c.ticket_id = t.id) as satisfaction
    from tickets t
    left join users r on r.org_id = t.org_id and r.id = t.requester_id
    left join users a on a.org_id = t.org_id and a.id = t.assignee_id
    where t.org_id = ${world.org.id}
    order by t.updated_at, t.id`),
  );
  const header = csvRow([
    "id",
    "number",
    "subject",
    "status",
    "priority",
    "requesterId",
    "requesterEmail",
    "assigneeId",
    "assigneeEmail",
    "tags",
    "createdAt",
    "updatedAt",
    "firstResponseDue",
    "firstResponseAt",
    "resolveDue",
    "resolvedAt",
    "closedAt",
    "satisfaction",
  ]);
  return (
    header +
    r.rows
      .map((x) =>
        csvRow([
          x.id,
          x.number,
          x.subject,
          x.status,
          x.priority,
          x.requester_id,
          x.requester_email,
          x.assignee_id,
          x.assignee_email,
          x.tags,
          ...x.ts,
          x.satisfaction,
        ]),
      )
      .join("")
  );
}

/** Tickets straight into the table: `n` of them, all changed at `updatedAt` (an SQL timestamptz literal) unless given per row. */
async function insertTickets(
  world: World,
  rows: {
    subject?: string;
    tags?: string[];
    requester?: string;
    assignee?: string | null;
    updatedAt?: string;
    createdAt?: string;
  }[],
): Promise<string[]> {
  return unsafeWithSystem(async (tx) => {
    const ids: string[] = [];
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const r = await tx.execute<{ id: string }>(sql`
        insert into tickets (org_id, number, subject, requester_id, assignee_id, tags, status, priority, created_at, updated_at)
        select ${world.org.id}::uuid, o.ticket_seq + x.n, x.subject, x.requester::uuid, x.assignee::uuid, x.tags, 'open', 'normal', x.created_at::timestamptz, x.updated_at::timestamptz
        from orgs o, jsonb_to_recordset(${JSON.stringify(
          chunk.map((c, k) => ({
            n: k + 1,
            subject: c.subject ?? `Ticket ${i + k}`,
            requester: c.requester ?? world.customer.id,
            assignee: c.assignee ?? null,
            tags: c.tags ?? [],
            created_at: c.createdAt ?? "2026-01-01T00:00:00Z",
            updated_at: c.updatedAt ?? "2026-01-02T00:00:00Z",
          })),
        )}::jsonb) as x(n int, subject text, requester text, assignee text, tags text[], created_at text, updated_at text)
        where o.id = ${world.org.id}::uuid
        returning id`);
      await tx.execute(sql`update orgs set ticket_seq = ticket_seq + ${chunk.length} where id = ${world.org.id}::uuid`);
      ids.push(...r.rows.map((x) => x.id));
    }
    return ids;
  });
}

describe("CSV fast path", () => {
  it("escapes generated text exactly as csvRow does (quotes, commas, CR/LF, = + - @ tab CR prefixes, unicode), emails and tags included", async () => {
    const world = await createWorld();
    const chars = [
      '"',
      ",",
      "\r",
      "\n",
      "=",
      "+",
      "-",
      "@",
      "\t",
      "'",
      " ",
      "a",
      "Z",
      "9",
      ";",
      "\\",
      "é",
      "日",
      "😀",
      "\u0301",
      "\u2028",
    ];
    const text = (max: number) =>
      fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: max }).map((a) => a.join(""));
    const samples = fc.sample(
      fc.record({ subject: text(60), tags: fc.array(text(12), { maxLength: 3 }), email: text(20) }),
      { numRuns: 120, seed: 11 },
    );
    // Emails through the users table (the API would refuse most of these), some tickets assigned.
    await unsafeWithSystem(async (tx) => {
      await tx.execute(sql`update users set email = ${samples[0]!.email} where id = ${world.customer2.id}`);
      await tx.execute(sql`update users set email = ${samples[1]!.email} where id = ${world.agent2.id}`);
    });
    await insertTickets(
      world,
      samples.map((s, i) => ({
        subject: s.subject,
        tags: s.tags,
        requester: i % 2 ? world.customer2.id : world.customer.id,
        assignee: i % 3 === 0 ? null : i % 3 === 1 ? world.agent.id : world.agent2.id,
        updatedAt: `2026-01-02T00:00:${String(i % 60).padStart(2, "0")}.${String(i).padStart(6, "0")}Z`,
      })),
    );
    expect(await exportText(world.admin, "csv")).toBe(await referenceCsv(world));
  });

  it("writes every timestamp as the API's ISO form, truncated to the millisecond; null timestamps are empty", async () => {
    const world = await createWorld();
    const fractions = ["", ".1", ".12", ".123", ".1234", ".12345", ".999999", ".000001", ".5"];
    const ids = await insertTickets(
      world,
      fractions.map((f, i) => ({
        createdAt: `2025-12-3${i % 2}T23:59:59${f}Z`,
        updatedAt: `2026-01-02T03:04:0${i}${f}Z`,
      })),
    );
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update tickets set first_response_due = updated_at + interval '1 hour', resolved_at = created_at + interval '0.0005 seconds'
      where id = any(${`{${ids.slice(0, 4).join(",")}}`}::uuid[])`),
    );
    const csv = await exportText(world.admin, "csv");
    expect(csv).toBe(await referenceCsv(world));
    const rows = csv
      .trim()
      .split("\r\n")
      .slice(1)
      .map((l) => l.split(","));
    for (const id of ids) {
      const viaApi = (await api.getTicket(world.admin, id)).body;
      const row = rows.find((x) => x[0] === id)!;
      expect(row.slice(10, 16), id).toEqual([
        viaApi.createdAt,
        viaApi.updatedAt,
        viaApi.firstResponseDue ?? "",
        viaApi.firstResponseAt ?? "",
        viaApi.resolveDue ?? "",
        viaApi.resolvedAt ?? "",
      ]);
    }
    expect(rows.find((x) => x[0] === ids[2])![11]).toBe("2026-01-02T03:04:02.120Z");
    expect(rows.find((x) => x[0] === ids[4])![11]).toBe("2026-01-02T03:04:04.123Z");
    expect(rows.find((x) => x[0] === ids[6])![11]).toBe("2026-01-02T03:04:06.999Z");
    expect(rows.find((x) => x[0] === ids[0])![11]).toBe("2026-01-02T03:04:00.000Z");
  });

  it("gives every row its requester's and assignee's email across batches (looked up once per user)", async () => {
    const world = await createWorld();
    // Users who first appear in the second and the last batch, not only in the first.
    const [late, later, lateAgent] = await Promise.all([
      createUser(world.org, { role: "customer" }),
      createUser(world.org, { role: "customer" }),
      createUser(world.org, { role: "agent" }),
    ]);
    const people = [world.customer, world.customer2, world.agent, world.admin];
    const size = EXPORT_BATCH_SIZE.csv;
    const n = 2 * size + 77;
    await insertTickets(
      world,
      Array.from({ length: n }, (_, i) => ({
        requester: (i > size + 10 && i % 3 === 0 ? late : i > 2 * size + 5 && i % 2 ? later : people[i % 4]!).id,
        assignee:
          i % 5 === 0
            ? null
            : i > 2 * size && i % 5 === 1
              ? lateAgent.id
              : i % 5 < 3
                ? world.agent.id
                : world.agent2.id,
        updatedAt: `2026-01-02T00:00:00.${String(i).padStart(6, "0")}Z`,
      })),
    );
    const csv = await exportText(world.admin, "csv");
    expect(csv).toBe(await referenceCsv(world));
    const emailOf = new Map([...people, world.agent2, late, later, lateAgent].map((p) => [p.id, p.email]));
    const rows = csv
      .trim()
      .split("\r\n")
      .slice(1)
      .map((l) => l.split(","));
    expect(rows).toHaveLength(n);
    for (const r of rows) {
      expect(r[6]).toBe(emailOf.get(r[5]!));
      expect(r[8]).toBe(r[7] ? emailOf.get(r[7]) : "");
    }
  });

  it("keeps every email right when the email cache starts over (a cap of 3 users here, 50,000 in the export)", async () => {
    const world = await createWorld();
    // A new requester every four tickets, so batches keep meeting new users next to known ones.
    const requesters = await Promise.all(Array.from({ length: 10 }, () => createUser(world.org, { role: "customer" })));
    await insertTickets(
      world,
      Array.from({ length: 40 }, (_, i) => ({
        requester: requesters[Math.floor(i / 4)]!.id,
        assignee: i % 2 ? world.agent.id : world.agent2.id,
        updatedAt: `2026-01-02T00:00:00.${String(i).padStart(6, "0")}Z`,
      })),
    );
    const emails = new UserEmails(world.org.id, 3);
    let text = "";
    let after: Position | null = null;
    for (;;) {
      const batch = await withTenant(world.org.id, (tx) => readCsvBatch(tx, world.org.id, { after, limit: 7 }, emails));
      text += Buffer.from(batch.bytes).toString("utf8");
      if (batch.count < 7) break;
      after = batch.last!;
    }
    const reference = await referenceCsv(world);
    expect(text).toBe(reference.slice(reference.indexOf("\r\n") + 2));
  });
});

describe("keyset batches", () => {
  it("exports each ticket exactly once when many share updated_at to the microsecond or differ by one microsecond, across batches", async () => {
    const world = await createWorld();
    const n = 2 * EXPORT_BATCH_SIZE.csv + 500;
    // Half at one instant (ties broken by id across batch boundaries), half a microsecond apart.
    const ids = await insertTickets(
      world,
      Array.from({ length: n }, (_, i) => ({
        updatedAt:
          i % 2 ? "2026-01-02T00:00:00.123456Z" : `2026-01-02T00:00:00.${String(123000 + i).padStart(6, "0")}Z`,
      })),
    );
    const csvIds = (await exportText(world.admin, "csv"))
      .trim()
      .split("\r\n")
      .slice(1)
      .map((l) => l.slice(0, 36));
    expect(csvIds).toHaveLength(n);
    expect(new Set(csvIds)).toEqual(new Set(ids));
    const docs = ndjsonDocs(await exportText(world.admin, "ndjson"));
    expect(docs).toHaveLength(n);
    expect(new Set(docs.map((d) => d.id))).toEqual(new Set(ids));
    // Both in (updated_at, id) order, as the reference query has it.
    const order = await unsafeWithSystem(async (tx) =>
      (
        await tx.execute<{ id: string }>(
          sql`select id from tickets where org_id = ${world.org.id} order by updated_at, id`,
        )
      ).rows.map((x) => x.id),
    );
    expect(csvIds).toEqual(order);
    expect(docs.map((d) => d.id)).toEqual(order);
  });
});

describe("ndjson fast path", () => {
  it("writes each ticket's conversation exactly as the comment API shows it, across batches, tickets without comments between", async () => {
    const world = await createWorld();
    const n = EXPORT_BATCH_SIZE.ndjson + 120;
    const ids = await insertTickets(
      world,
      Array.from({ length: n }, (_, i) => ({ updatedAt: `2026-01-02T00:00:00.${String(i).padStart(6, "0")}Z` })),
    );
    const bodies = [
      'He said "hi"\nthen left',
      "back\\slash and tab\t",
      "control \u0001 char",
      "Ünïcödé ✓ 日本 😀",
      "<b>html</b> & 'quotes'",
      "",
    ];
    // Comments on every third ticket (1–3 each), inserted out of order.
    await unsafeWithSystem((tx) =>
      tx.execute(sql`
      insert into comments (org_id, ticket_id, author_id, body, body_html, internal, created_at)
      select ${world.org.id}::uuid, t.id, ${world.agent.id}::uuid, b.body, '<p>' || b.body || '</p>', (t.k + c) % 2 = 0,
             '2026-01-02T00:00:00Z'::timestamptz + make_interval(secs => (3 - c) * 60 + t.k * 0.000001)
      from unnest(${`{${ids.join(",")}}`}::uuid[]) with ordinality as t(id, k), generate_series(1, 3) c,
           lateral (select ${JSON.stringify(bodies)}::jsonb ->> ((t.k + c) % ${bodies.length})::int as body) b
      where t.k % 3 = 0 and c <= 1 + t.k % 3`),
    );
    const docs = ndjsonDocs(await exportText(world.admin, "ndjson"));
    expect(docs.map((d) => d.id)).toEqual(ids);
    const counts = await unsafeWithSystem(
      async (tx) =>
        new Map(
          (
            await tx.execute<{ ticket_id: string; n: number }>(sql`
      select ticket_id, count(*)::int as n from comments where org_id = ${world.org.id} group by 1`)
          ).rows.map((x) => [x.ticket_id, x.n]),
        ),
    );
    for (const d of docs) expect(d.comments.length, d.id).toBe(counts.get(d.id) ?? 0);
    // Every ticket with comments in the first and second batch, and a few without: field for field the API's view.
    const sample = docs
      .filter((d, i) => i % 3 === 0 || i === EXPORT_BATCH_SIZE.ndjson - 1 || i === EXPORT_BATCH_SIZE.ndjson)
      .filter((_, i) => i % 7 === 0);
    for (const d of sample) {
      const viaApi = await api.listComments(world.admin, d.id, { limit: "100" });
      expect(d.comments, d.id).toEqual(viaApi.body.data);
      const ticket: Record<string, unknown> = { ...d };
      delete ticket.comments;
      // The satisfaction rating (decision 051) is the export's own key: none was given here.
      expect(ticket.satisfaction, d.id).toBeNull();
      delete ticket.satisfaction;
      expect(ticket, d.id).toEqual((await api.getTicket(world.admin, d.id)).body);
    }
  });
});

describe("tenant isolation", () => {
  it("an org's CSV and ndjson exports never include another org's tickets, comments or users, even when their tickets interleave in time", async () => {
    const [a, b] = [await createWorld(), await createWorld()];
    const same = Array.from({ length: EXPORT_BATCH_SIZE.ndjson + 50 }, (_, i) => ({
      updatedAt: `2026-01-02T00:00:00.${String(i).padStart(6, "0")}Z`,
    }));
    const [aIds, bIds] = [
      await insertTickets(a, same),
      await insertTickets(
        b,
        same.map((x) => ({ ...x, requester: b.customer2.id, assignee: b.agent.id })),
      ),
    ];
    const t = await newTicket(b.customer, { subject: "Only in b", body: "b's secret" });
    await api.addComment(b.agent, t.id, { body: "b's internal note", internal: true });

    const csv = await exportText(a.admin, "csv");
    const csvIds = csv
      .trim()
      .split("\r\n")
      .slice(1)
      .map((l) => l.slice(0, 36));
    expect(new Set(csvIds)).toEqual(new Set(aIds));
    for (const leak of [b.customer2.email, b.agent.email, b.customer.email, "Only in b"])
      expect(csv).not.toContain(leak);

    const nd = await exportText(a.admin, "ndjson");
    expect(new Set(ndjsonDocs(nd).map((d) => d.id))).toEqual(new Set(aIds));
    for (const leak of [t.id, "b's secret", "b's internal note", ...bIds.slice(0, 20)]) expect(nd).not.toContain(leak);
  });
});

describe("isoFromUtcJson", () => {
  it("converts PostgreSQL's JSON timestamps to ISO milliseconds and keeps unusual ones readable", () => {
    expect(isoFromUtcJson('"2026-01-31T09:05:00"')).toBe("2026-01-31T09:05:00.000Z");
    expect(isoFromUtcJson('"2026-01-31T09:05:00.1"')).toBe("2026-01-31T09:05:00.100Z");
    expect(isoFromUtcJson('"2026-01-31T09:05:00.123456"')).toBe("2026-01-31T09:05:00.123Z");
    expect(isoFromUtcJson('"2026-01-31T09:05:00.999999"')).toBe("2026-01-31T09:05:00.999Z");
    expect(isoFromUtcJson('"0099-01-31T09:05:00.5"')).toBe("0099-01-31T09:05:00.500Z");
    expect(isoFromUtcJson('"10000-01-31T09:05:00"')).toBe("10000-01-31T09:05:00");
    expect(isoFromUtcJson('"infinity"')).toBe("infinity");
  });
});
