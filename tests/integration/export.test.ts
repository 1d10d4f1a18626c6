import http from "node:http";
import type { AddressInfo } from "node:net";
import { sql, type SQL } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiRoute as exportRoute } from "../helpers/http";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { csvBatchQuery } from "../../src/server/export/csv-batch";
import { ticketBatchQuery } from "../../src/server/export/ticket-batches";
import { exportBatchesRead } from "../../src/server/export/ticket-export-stream";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { api, newTicket } from "../helpers/api";
import { waitFor } from "../helpers/jobs";
import { createWorld, type Actor, type World } from "../helpers/world";

// GET /api/v1/export/tickets: streamed CSV / ndjson through the real route handler and real
// PostgreSQL; a client that goes away (in-process cancel and a real HTTP disconnect) stops the reads.

let w: World, other: World;

beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});
afterEach(() => {
  setProcessEnv({ FEATURES_DISABLED: "", RATE_LIMIT_EXPORT_PER_MIN: "" });
  resetLimitersForTests();
});

type Result = { status: number; headers: Headers; text: string; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

function request(who: Actor, query: Record<string, string> = {}): Request {
  const url = new URL("http://localhost/api/v1/export/tickets");
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return new Request(url, { headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" } });
}

async function exportAs(who: Actor, query: Record<string, string> = {}): Promise<Result> {
  const res = await exportRoute.GET(request(who, query));
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** RFC 4180 reader (quoted fields, doubled quotes, CRLF rows; a bare LF is field content). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  if (cell !== "" || row.length > 0) rows.push([...row, cell]);
  return rows;
}

const HEADER = [
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
];

/** n tickets straight into the table (fast), updated one second apart ending `endsAgo` seconds ago. */
async function bulkTickets(
  world: World,
  n: number,
  opts: { prefix?: string; endsAgoSec?: number } = {},
): Promise<void> {
  await unsafeWithSystem(async (tx) => {
    await tx.execute(sql`
      insert into tickets (org_id, number, subject, requester_id, status, priority, created_at, updated_at)
      select ${world.org.id}::uuid, o.ticket_seq + g, ${opts.prefix ?? "Bulk"} || ' ' || g, ${world.customer.id}::uuid, 'open', 'normal',
             now() - interval '30 days', now() - make_interval(secs => ${opts.endsAgoSec ?? 3600}::int + ${n}::int - g)
      from generate_series(1, ${n}) g, orgs o where o.id = ${world.org.id}::uuid`);
    await tx.execute(sql`update orgs set ticket_seq = ticket_seq + ${n} where id = ${world.org.id}::uuid`);
  });
}

describe("CSV", () => {
  it("has a header row, one CRLF row per ticket, RFC 4180 quoting and formula-safe cells", async () => {
    const world = await createWorld();
    const tricky = [
      `He said "hi", then left`,
      "line one\nline two",
      `=HYPERLINK("http://evil.example","click")`,
      "+1 555 0100",
      "-2+3",
      "@SUM(A1:A9)",
      "plain, with a comma",
      "Ünïcödé ✓ 日本",
    ];
    const ids: Record<string, string> = {};
    for (const subject of tricky)
      ids[subject] = (
        await newTicket(world.agent, { requesterId: world.customer.id, subject, tags: ["vip", "-cmd"] })
      ).id;
    // Leading tab and CR cannot come through the API (subjects are trimmed); write them directly.
    const raw = await newTicket(world.customer, { subject: "placeholder" });
    await unsafeWithSystem((tx) => tx.execute(sql`update tickets set subject = ${"\tTabbed"} where id = ${raw.id}`));
    const cr = await newTicket(world.customer, { subject: "placeholder 2" });
    await unsafeWithSystem((tx) => tx.execute(sql`update tickets set subject = ${"\rCarriage"} where id = ${cr.id}`));

    const r = await exportAs(world.admin, { format: "csv" });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(r.headers.get("content-disposition")).toBe(
      `attachment; filename="tickets-${new Date().toISOString().slice(0, 10)}.csv"`,
    );
    expect(r.headers.get("cache-control")).toMatch(/no-store/);
    expect(r.text.endsWith("\r\n")).toBe(true);

    const rows = parseCsv(r.text);
    expect(rows[0]).toEqual(HEADER);
    expect(rows).toHaveLength(1 + tricky.length + 2);
    for (const row of rows) expect(row).toHaveLength(HEADER.length);
    const bySubjectOf = (id: string) => rows.find((row) => row[0] === id)![2];
    expect(bySubjectOf(ids[`He said "hi", then left`]!)).toBe(`He said "hi", then left`);
    expect(bySubjectOf(ids["line one\nline two"]!)).toBe("line one\nline two");
    expect(bySubjectOf(ids[`=HYPERLINK("http://evil.example","click")`]!)).toBe(
      `'=HYPERLINK("http://evil.example","click")`,
    );
    expect(bySubjectOf(ids["+1 555 0100"]!)).toBe("'+1 555 0100");
    expect(bySubjectOf(ids["-2+3"]!)).toBe("'-2+3");
    expect(bySubjectOf(ids["@SUM(A1:A9)"]!)).toBe("'@SUM(A1:A9)");
    expect(bySubjectOf(ids["plain, with a comma"]!)).toBe("plain, with a comma");
    expect(bySubjectOf(ids["Ünïcödé ✓ 日本"]!)).toBe("Ünïcödé ✓ 日本");
    expect(bySubjectOf(raw.id)).toBe("'\tTabbed");
    expect(bySubjectOf(cr.id)).toBe("'\rCarriage");
    // Quoting is in the raw bytes as RFC 4180 has it.
    expect(r.text).toContain(`"He said ""hi"", then left"`);
    expect(r.text).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);

    const row = rows.find((x) => x[0] === ids["+1 555 0100"])!;
    expect(row[5]).toBe(world.customer.id);
    expect(row[6]).toBe(world.customer.email);
    expect(row[9]).toBe("'-cmd vip");
    const viaApi = (await api.getTicket(world.admin, ids["+1 555 0100"]!)).body;
    expect(row.slice(10, 14)).toEqual([viaApi.createdAt, viaApi.updatedAt, viaApi.firstResponseDue, ""]);
  });

  it("streams every ticket once across several batches, in (updatedAt, id) order", async () => {
    const world = await createWorld();
    await bulkTickets(world, 2_345);
    const before = exportBatchesRead();
    const r = await exportAs(world.admin);
    expect(r.status).toBe(200);
    const rows = parseCsv(r.text).slice(1);
    expect(rows).toHaveLength(2_345);
    expect(new Set(rows.map((x) => x[0])).size).toBe(2_345);
    const keys = rows.map((x) => `${x[11]} ${x[0]}`);
    expect([...keys].sort()).toEqual(keys);
    expect(exportBatchesRead() - before).toBe(3);
  });
});

describe("the batch query", () => {
  it("walks an index in export order (no sort of the org's tickets per batch)", async () => {
    // With sorts and sequential scans priced out, a Sort node remains only if no index can give
    // the order — as after an index change that the ORDER BY no longer matches.
    const opts = { after: { v: "2026-01-01 00:00:00+00", id: "00000000-0000-0000-0000-000000000000" }, limit: 1000 };
    const plans = await withTenant(w.org.id, async (tx) => {
      await tx.execute(sql`set local enable_sort = off`);
      await tx.execute(sql`set local enable_seqscan = off`);
      const explain = async (q: SQL) =>
        (await tx.execute(sql`explain ${q}`)).rows.map((x) => String(Object.values(x)[0])).join("\n");
      return [await explain(ticketBatchQuery(w.org.id, opts)), await explain(csvBatchQuery(w.org.id, opts))];
    });
    for (const plan of plans) {
      expect(plan).toMatch(/Index (Only )?Scan( Backward)? using tickets_org_updated_idx/);
      expect(plan).not.toMatch(/\bSort\b/);
    }
  });
});

describe("ndjson", () => {
  it("is one ticket per line with its whole conversation, internal notes included", async () => {
    const world = await createWorld();
    const t = await newTicket(world.customer, { subject: "Broken login", body: "I cannot sign in" });
    await api.addComment(world.agent, t.id, { body: "Looking into it" });
    await api.addComment(world.agent, t.id, { body: "Probably the SSO cert", internal: true });
    const quiet = await newTicket(world.agent, { subject: "Second", requesterId: world.customer2.id });

    const r = await exportAs(world.admin, { format: "ndjson" });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="tickets-\d{4}-\d\d-\d\d\.ndjson"$/);
    const lines = r.text.split("\n");
    expect(lines.pop()).toBe("");
    const docs = lines.map(
      (l) =>
        JSON.parse(l) as {
          id: string;
          subject: string;
          sla: unknown;
          comments: { body: string; internal: boolean; authorId: string; bodyHtml: string }[];
        },
    );
    expect(docs.map((d) => d.id).sort()).toEqual([t.id, quiet.id].sort());
    const broken = docs.find((d) => d.id === t.id)!;
    expect(broken).toMatchObject({ subject: "Broken login", status: "open", requesterId: world.customer.id });
    // Timestamps come out exactly as the ticket API shows them (they are read as epoch ms for speed).
    const viaApi = (await api.getTicket(world.admin, t.id)).body;
    for (const k of [
      "createdAt",
      "updatedAt",
      "firstResponseDue",
      "firstResponseAt",
      "resolveDue",
      "resolvedAt",
      "sla",
    ] as const) {
      expect((broken as Record<string, unknown>)[k], k).toEqual(viaApi[k]);
    }
    expect(broken.comments.map((c) => [c.body, c.internal])).toEqual([
      ["I cannot sign in", false],
      ["Looking into it", false],
      ["Probably the SSO cert", true],
    ]);
    expect(broken.comments[0]!.bodyHtml).toContain("I cannot sign in");
    expect(docs.find((d) => d.id === quiet.id)!.comments).toHaveLength(1);
  });
});

describe("filters and validation", () => {
  it("updatedSince keeps tickets changed at or after that instant", async () => {
    const world = await createWorld();
    await bulkTickets(world, 10, { prefix: "Old", endsAgoSec: 10 * 86_400 });
    const fresh = await newTicket(world.customer, { subject: "Fresh" });
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const r = await exportAs(world.admin, { format: "ndjson", updatedSince: since });
    const docs = r.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string });
    expect(docs.map((d) => d.id)).toEqual([fresh.id]);
    const offset = await exportAs(world.admin, { updatedSince: "2000-01-01T00:00:00+02:00" });
    expect(parseCsv(offset.text)).toHaveLength(1 + 11);
  });

  it("bad query values are 400", async () => {
    const queries: Record<string, string>[] = [
      { format: "xlsx" },
      { updatedSince: "yesterday" },
      { updatedSince: "2026-13-40T00:00:00Z" },
      { sort: "subject" },
    ];
    for (const q of queries) {
      const r = await exportAs(w.admin, q);
      expect(r.status, JSON.stringify(q)).toBe(400);
      expect(r.body.error.code).toBe("validation_failed");
    }
  });
});

describe("who may export", () => {
  it("admins only: agents and customers get 403, and export nothing", async () => {
    await newTicket(w.customer);
    for (const who of [w.agent, w.customer]) {
      const r = await exportAs(who);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("forbidden");
    }
  });

  it("an admin exports their own org only", async () => {
    const mine = await newTicket(w.customer, { subject: "Only in w" });
    const theirs = await newTicket(other.customer, { subject: "Only in other" });
    const r = await exportAs(other.admin);
    const ids = parseCsv(r.text)
      .slice(1)
      .map((x) => x[0]);
    expect(ids).toContain(theirs.id);
    expect(ids).not.toContain(mine.id);
  });

  it("records export.started with the format and filter in the audit chain", async () => {
    const since = "2026-01-01T00:00:00.000Z";
    expect((await exportAs(w.admin, { format: "ndjson", updatedSince: since })).status).toBe(200);
    const r = await unsafeWithSystem((tx) =>
      tx.execute<{ actor_id: string; data: unknown }>(
        sql`select actor_id, data from audit_events where org_id = ${w.org.id} and action = 'export.started' order by seq desc limit 1`,
      ),
    );
    expect(r.rows[0]).toEqual({ actor_id: w.admin.id, data: { format: "ndjson", filter: { updatedSince: since } } });
  });

  it("is limited per admin (RATE_LIMIT_EXPORT_PER_MIN) with 429 and RateLimit headers", async () => {
    setProcessEnv({ RATE_LIMIT_EXPORT_PER_MIN: "2" });
    const world = await createWorld();
    expect((await exportAs(world.admin)).status).toBe(200);
    expect((await exportAs(world.admin)).status).toBe(200);
    const limited = await exportAs(world.admin);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("ratelimit-limit")).toBe("2");
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
  });

  it("FEATURES_DISABLED=export answers 503 feature_disabled", async () => {
    setProcessEnv({ FEATURES_DISABLED: "export" });
    const r = await exportAs(w.admin);
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe("feature_disabled");
  });
});

describe("a client that goes away stops the export", () => {
  let big: World;
  const TOTAL = 20_000;
  beforeAll(async () => {
    big = await createWorld();
    await bulkTickets(big, TOTAL);
  });

  it("cancelling the body stream stops further batch reads", async () => {
    const res = await exportRoute.GET(request(big.admin));
    const before = exportBatchesRead();
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value).startsWith("id,number,subject")).toBe(true);
    await reader.cancel();
    const atCancel = exportBatchesRead() - before;
    await new Promise((r) => setTimeout(r, 300));
    expect(atCancel).toBeLessThanOrEqual(2);
    expect(exportBatchesRead() - before).toBe(atCancel);
  });

  it("a real HTTP client disconnecting after the first bytes stops the queries", async () => {
    const server = http.createServer((req, res) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      void exportRoute.GET(new Request(`http://127.0.0.1${req.url}`, { headers })).then(async (response) => {
        // As Next.js does: write with backpressure, cancel the body when the socket closes.
        res.writeHead(response.status, Object.fromEntries(response.headers));
        const reader = response.body!.getReader();
        res.on("close", () => void reader.cancel().catch(() => undefined));
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done || res.destroyed) break;
            if (!res.write(value)) await new Promise((r) => (res.once("drain", r), res.once("close", r)));
          }
          res.end();
        } catch {
          res.destroy();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const before = exportBatchesRead();
      const port = (server.address() as AddressInfo).port;
      await new Promise<void>((resolve, reject) => {
        const req = http.get(
          `http://127.0.0.1:${port}/api/v1/export/tickets?format=ndjson`,
          { headers: { cookie: big.admin.cookie } },
          (res) => {
            expect(res.statusCode).toBe(200);
            res.once("data", () => {
              req.destroy();
              resolve();
            });
          },
        );
        req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
      });
      // Reads stop: the count settles well short of the whole export and stays there.
      let last = -1;
      const settled = await waitFor(
        "batch reads to stop",
        async () => {
          const now = exportBatchesRead() - before;
          const same = now === last;
          last = now;
          await new Promise((r) => setTimeout(r, 300));
          return same && exportBatchesRead() - before === now ? now + 1 : 0;
        },
        15_000,
      );
      expect(settled - 1).toBeLessThan(TOTAL / 1000);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
