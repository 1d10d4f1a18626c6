// The stack's ceiling for SPEC §9's ratio: a bare node:http + pg server answering
// GET /api/v1/tickets (the agent default view) with the SAME SQL the app sends for it, in the same
// shape of transaction: begin; the tenant set_config (role beacon_app + app.org_id, so row-level
// security applies as for a request); the bearer-token lookup by sha256 (the same join the app's
// confirmClaim runs); the list statement(s) of listTickets; commit. Sent as the app sends them
// (decision 065): begin and the tenant settings in one round trip, the lookup and the list as
// named prepared statements (parsed and planned once per connection). The statements are not written
// here: http-load.ts captures them from the real domain functions (scripts/bench/lib/capture.ts)
// and hands them over in BARE_SQL_FILE, with each parameter marked as the request's org, token
// hash, user id or a literal.
//
// Left out on purpose, as the ceiling: Next.js routing, the route() wrapper (zod, rate limits,
// metrics, the log line), drizzle's query building and row mapping, the SLA block of the ticket
// view. Nothing but node:http, node:crypto and pg is imported.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, createHmac, randomBytes } from "node:crypto";
import pg from "pg";

export type BareParam = { from: "org" } | { from: "tokenHash" } | { from: "userId" } | { value: unknown };
export type BareStatement = { sql: string; params: BareParam[] };
export type BareSpec = {
  tenant: BareStatement;
  /** The token lookup; userIdColumn is the position of users.id in its (array-mode) row. */
  auth: BareStatement & { userIdColumn: number };
  /** The handler's statements; the last one's rows are the page (limit + 1 rows). */
  list: BareStatement[];
  limit: number;
};

const spec = JSON.parse(fs.readFileSync(process.env.BARE_SQL_FILE!, "utf8")) as BareSpec;
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_MAX ?? 10),
  application_name: "beacon-bench-bare",
  options: "-c jit=off", // as the app's pool (src/server/db/client.ts)
});
pool.on("error", () => undefined);
const cursorKey = randomBytes(32);
const TOKEN_RE = /^bearer\s+(bcn_([0-9a-f]{32})_(?:[0-9a-f]{32}_)?[A-Za-z0-9_-]{43})$/i; // as readClaim + orgOfToken (with or without the token id)

type Bound = { org: string; tokenHash: string; userId: string };
const bind = (s: BareStatement, b: Bound): unknown[] =>
  s.params.map((p) =>
    "value" in p ? p.value : p.from === "org" ? b.org : p.from === "tokenHash" ? b.tokenHash : b.userId,
  );

const uuidOf = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;

/** First position of each output column name (the page query also selects updated_at::text). */
let columns: Map<string, number> | null = null;
const VIEW: [string, string][] = [
  ["id", "id"],
  ["number", "number"],
  ["subject", "subject"],
  ["status", "status"],
  ["priority", "priority"],
  ["requesterId", "requester_id"],
  ["assigneeId", "assignee_id"],
  ["tags", "tags"],
  ["createdAt", "created_at"],
  ["updatedAt", "updated_at"],
  ["firstResponseDue", "first_response_due"],
  ["firstResponseAt", "first_response_at"],
  ["resolveDue", "resolve_due"],
  ["resolvedAt", "resolved_at"],
];

async function listTickets(authorization: string | undefined): Promise<{ status: number; body: string }> {
  const m = authorization ? TOKEN_RE.exec(authorization.trim()) : null;
  if (!m)
    return { status: 401, body: '{"error":{"code":"unauthenticated","message":"sign in or send a bearer token"}}' };
  const b: Bound = { org: uuidOf(m[2]!), tokenHash: createHash("sha256").update(m[1]!).digest("hex"), userId: "" };
  const client = await pool.connect();
  try {
    // As withTenant opens a transaction (decision 065): begin and the tenant settings in one
    // simple-protocol message, the org id written in as a literal (a UUID made from 32 hex digits).
    await client.query(`begin; ${spec.tenant.sql.replaceAll("$1", `'${b.org}'`)}`);
    const auth = await client.query({
      name: "bare_auth",
      text: spec.auth.sql,
      values: bind(spec.auth, b),
      rowMode: "array",
    });
    const who = auth.rows[0] as unknown[] | undefined;
    if (!who) {
      await client.query("rollback");
      return { status: 401, body: '{"error":{"code":"unauthenticated","message":"invalid or expired credentials"}}' };
    }
    b.userId = String(who[spec.auth.userIdColumn]);
    let rows: unknown[][] = [];
    for (const [i, s] of spec.list.entries()) {
      const r = await client.query({ name: `bare_list_${i}`, text: s.sql, values: bind(s, b), rowMode: "array" });
      rows = r.rows as unknown[][];
      if (!columns && r.fields.length > 0) {
        columns = new Map();
        r.fields.forEach((f, i) => columns!.has(f.name) || columns!.set(f.name, i));
      }
    }
    await client.query("commit");
    const page = rows.slice(0, spec.limit);
    const data = page.map((row) => Object.fromEntries(VIEW.map(([k, col]) => [k, row[columns!.get(col)!] ?? null])));
    const last = page.at(-1);
    let nextCursor: string | null = null;
    if (rows.length > spec.limit && last) {
      const payload = Buffer.from(
        JSON.stringify({ s: "-updatedAt", v: last[last.length - 1], id: last[columns!.get("id")!] }),
      ).toString("base64url");
      nextCursor = `${payload}.${createHmac("sha256", cursorKey).update(payload).digest().subarray(0, 16).toString("base64url")}`;
    }
    return { status: 200, body: JSON.stringify({ data, nextCursor }) };
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const server = http.createServer((req, res) => {
  const send = (status: number, body: string) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(body);
  };
  if (req.method !== "GET" || (req.url !== "/api/v1/tickets" && !req.url?.startsWith("/api/v1/tickets?"))) {
    send(404, '{"error":{"code":"not_found","message":"the bare server answers GET /api/v1/tickets only"}}');
    return;
  }
  listTickets(req.headers.authorization).then(
    (r) => send(r.status, r.body),
    (err: unknown) => {
      console.error(String(err));
      send(500, '{"error":{"code":"internal","message":"internal error"}}');
    },
  );
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.BENCH_BARE_PORT ?? 0), "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ ready: true, url: `http://127.0.0.1:${port}` });
});
const stop = () => {
  server.close();
  server.closeAllConnections();
  void pool.end().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.on("disconnect", stop);
