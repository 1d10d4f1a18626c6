import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import pg from "pg";
import type { ZodType } from "zod";
import { documentedOperations, errorStatuses, type Operation } from "../../src/server/api/openapi";
import { TABLE } from "../../src/server/api/table";
import { ERROR_STATUS } from "../../src/server/core/errors";
import { apiRoute, call, type CallResult } from "./http";
import { deepNesting, hostileQueryValue, hostileValue, toJsonText } from "./fuzz";
import { nearValid, nearValidQuery, type Hints } from "./fuzz-schema";

// The API fuzzer's machinery: which routes exist (read from the route files themselves), how to
// call each one with hostile input as each kind of caller, what the database looked like before
// and after, and what every response must satisfy. The world it runs in is fuzz-world.ts.

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

type RouteHandler = Parameters<typeof call>[0];

export type FuzzOp = {
  method: Method;
  /** "/api/v1/tickets/{id}" */
  template: string;
  /** Path parameters and the resource each names ("tickets" for /tickets/{id}). */
  params: { name: string; resource: string }[];
  handler: RouteHandler;
  spec: Operation;
  key: string;
};

/**
 * Every route-table operation (called through the catch-all's dispatcher), joined with its OpenAPI
 * entry (for its schemas and documented roles). `problems` stays empty: it is kept for the fuzz
 * test's report, which lists what the fuzzer could not call.
 */
export async function discoverOperations(): Promise<{ ops: FuzzOp[]; problems: string[] }> {
  // Every /api/v1 endpoint is a route-table operation served by the catch-all (tests/unit/openapi.test.ts
  // refuses any other route file there), so the table is the whole list.
  const ops: FuzzOp[] = [];
  const problems: string[] = [];
  const documented = documentedOperations();
  for (const op of TABLE) {
    const segments = op.path.split("/");
    const params = segments.flatMap((s, i) => {
      const m = /^\{(\w+)\}$/.exec(s);
      return m ? [{ name: m[1]!, resource: segments[i - 1] ?? "" }] : [];
    });
    const spec = documented.find((o) => o.method === op.method && o.path === op.path)!;
    ops.push({
      method: op.method,
      template: op.path,
      params,
      handler: apiRoute[op.method],
      spec,
      key: `${op.method} ${op.path}`,
    });
  }
  ops.sort((a, b) =>
    a.template === b.template ? a.method.localeCompare(b.method) : a.template.localeCompare(b.template),
  );
  return { ops, problems };
}

// --- callers ---------------------------------------------------------------------------------

export const CALLERS = [
  "admin",
  "agent",
  "customer",
  "token:admin",
  "token:customer",
  "anonymous",
  "bearer:garbage",
  "bearer:other-org",
  "cookie:garbage",
  "cookie:cross-site",
] as const;
export type Caller = (typeof CALLERS)[number];

export type Credentials = { cookie?: string; token?: string; headers?: Record<string, string> };

/** The role a caller acts with, or null when it carries no valid credentials. */
export function roleOf(c: Caller, method: string): "admin" | "agent" | "customer" | null {
  // A cross-site request with the admin's cookie may read (CSRF defends writes only).
  if (c === "cookie:cross-site") return method === "GET" ? "admin" : null;
  if (c === "admin" || c === "token:admin") return "admin";
  if (c === "agent") return "agent";
  if (c === "customer" || c === "token:customer") return "customer";
  return null;
}

/** Whether the documented roles of an operation admit a caller. */
export function admits(op: Operation, c: Caller): boolean {
  const role = roleOf(c, op.method);
  switch (op.auth) {
    case "public":
      return true;
    case "any":
      return role !== null;
    case "staff":
      return role === "admin" || role === "agent";
    case "admin":
      return role === "admin";
  }
}

// --- request generation ------------------------------------------------------------------------

export type Body = { text: string; contentType: string | null } | null;
export type FuzzRequest = {
  caller: Caller;
  params: Record<string, string>;
  query: [string, string][];
  body: Body;
  headers: Record<string, string>;
};

/** Ids per resource (own org, other org) plus ids that are not ids. */
export type IdPools = { own: Record<string, string[]>; other: Record<string, string[]> };

const NOT_IDS = [
  "1",
  "0",
  "-1",
  "1e308",
  "NaN",
  "99999999999999999999",
  "me",
  "none",
  "null",
  "undefined",
  "",
  " ",
  "%00",
  "\u0000",
  "../tickets",
  "..%2F..%2Fusers",
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
  "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
  "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
  "3f2504e04f8911d39a0c0305e82c3301",
  "x".repeat(5_000),
  "😀",
  "' OR '1'='1",
];

function idArb(resource: string, pools: IdPools): fc.Arbitrary<string> {
  const own = pools.own[resource] ?? [];
  const other = pools.other[resource] ?? [];
  const anyOwn = Object.values(pools.own).flat();
  const anyOther = Object.values(pools.other).flat();
  const options: fc.WeightedArbitrary<string>[] = [
    { weight: 2, arbitrary: fc.constantFrom(...NOT_IDS) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.constantFrom(...anyOwn, ...anyOther) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  ];
  if (own.length) options.push({ weight: 8, arbitrary: fc.constantFrom(...own) });
  if (other.length) options.push({ weight: 2, arbitrary: fc.constantFrom(...other) });
  // Upper-case spelling of a real id: the same row to PostgreSQL, a different string to JS.
  if (own.length) options.push({ weight: 1, arbitrary: fc.constantFrom(...own).map((s) => s.toUpperCase()) });
  return fc.oneof(...options);
}

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/merge-patch+json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json; charset=utf-16",
  "",
];

function bodyArb(schema: ZodType | undefined, hints: Hints): fc.Arbitrary<Body> {
  const json = (a: fc.Arbitrary<unknown>) =>
    a.map((v): Body => ({ text: toJsonText(v), contentType: "application/json" }));
  const near = schema ? [{ weight: 20, arbitrary: json(nearValid(schema, hints)) }] : [];
  const junkText = fc.oneof(
    fc.constantFrom(
      "",
      " ",
      "{",
      "}",
      "[",
      "null",
      "true",
      "0",
      '"x"',
      "[]",
      "{}",
      '{"a":}',
      "{'a':1}",
      "\ufeff{}",
      '{"a":1,}',
      "NaN",
      "undefined",
      "\u0000",
    ),
    fc.string({ unit: "binary", maxLength: 60 }),
  );
  return fc.oneof(
    ...near,
    { weight: 3, arbitrary: json(fc.oneof(hostileValue, fc.jsonValue({ maxDepth: 4 }), deepNesting)) },
    { weight: 3, arbitrary: junkText.map((text): Body => ({ text, contentType: "application/json" })) },
    // A valid-looking body cut short, or sent with the wrong media type.
    {
      weight: 2,
      arbitrary: fc
        .tuple(schema ? nearValid(schema, hints) : fc.jsonValue(), fc.nat(), fc.constantFrom(...CONTENT_TYPES))
        .map(([v, cut, ct]): Body => {
          const text = toJsonText(v);
          return {
            text: ct === "application/json" ? text.slice(0, cut % Math.max(1, text.length)) : text,
            contentType: ct || null,
          };
        }),
    },
    // Over the 1 MiB JSON limit.
    {
      weight: 1,
      arbitrary: fc.constant<Body>({
        text: toJsonText({ body: "x".repeat(1024 * 1024 + 10) }),
        contentType: "application/json",
      }),
    },
    { weight: 1, arbitrary: fc.constant<Body>(null) },
  );
}

const headerArb: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    "x-request-id": fc.oneof(
      fc.constantFrom("short", "a".repeat(200), "ok-request-id-123", "../../etc", "id with spaces", "<script>"),
      fc.string({ maxLength: 20 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    ),
    "x-forwarded-for": fc.constantFrom(
      "1.2.3.4",
      "::1",
      "garbage",
      "",
      "1.2.3.4, 5.6.7.8",
      "999.999.999.999",
      "[::1]:80",
    ),
    accept: fc.constantFrom("text/html", "*/*", "application/xml"),
  },
  { requiredKeys: [] },
);

export function requestArb(
  op: FuzzOp,
  pools: IdPools,
  hints: Hints,
  callers: readonly Caller[] = CALLERS,
): fc.Arbitrary<FuzzRequest> {
  const params = fc.record(
    Object.fromEntries(op.params.map((p) => [p.name, idArb(p.resource, pools)])),
  ) as fc.Arbitrary<Record<string, string>>;
  const query = fc.oneof(
    { weight: 4, arbitrary: nearValidQuery(op.spec.query, hints) },
    { weight: 1, arbitrary: fc.array(fc.tuple(fc.string({ maxLength: 10 }), hostileQueryValue), { maxLength: 3 }) },
  );
  // A GET carries no body (fetch refuses one); a bodiless POST or DELETE may still receive junk.
  const body = op.method === "GET" ? fc.constant<Body>(null) : bodyArb(op.spec.body, hints);
  // Callers the operation admits are drawn more often, so more requests get past authorization.
  const caller = fc.oneof(
    ...callers.map((c) => ({
      weight: admits(op.spec, c) && roleOf(c, op.method) !== null ? 4 : 1,
      arbitrary: fc.constant(c),
    })),
  );
  return fc.record({ caller, params, query, body, headers: headerArb });
}

// --- sending ---------------------------------------------------------------------------------

export function send(op: FuzzOp, req: FuzzRequest, creds: Credentials): Promise<CallResult> {
  let p = op.template;
  for (const [k, v] of Object.entries(req.params)) p = p.replace(`{${k}}`, encodeURIComponent(v));
  const qs = new URLSearchParams(req.query).toString();
  const headers: Record<string, string> = { ...req.headers, ...creds.headers };
  if (req.body && req.body.contentType !== null) headers["content-type"] = req.body.contentType;
  else if (req.body) headers["content-type"] = "";
  return call(op.handler, op.method, qs ? `${p}?${qs}` : p, {
    params: req.params,
    body: req.body ? req.body.text : undefined,
    headers,
    cookie: creds.cookie,
    token: creds.token,
    ip: req.headers["x-forwarded-for"],
  });
}

/** A short, printable description of a request for failure messages (long strings elided). */
export function describeRequest(op: FuzzOp, req: FuzzRequest): string {
  const short = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…(${s.length} chars)` : s);
  return (
    `${op.key} as ${req.caller} params=${short(JSON.stringify(req.params))} query=${short(JSON.stringify(req.query))} ` +
    `content-type=${JSON.stringify(req.body?.contentType)} body=${req.body ? short(JSON.stringify(req.body.text)) : "none"} headers=${JSON.stringify(req.headers)}`
  );
}

// --- what every response must satisfy -----------------------------------------------------------

const LEAKS: [string, RegExp][] = [
  ["stack frame", /\bat (?:async )?[\w$.<>[\] ]*\(?(?:file:|node:|\/)[^)\s]*:\d+/],
  ["stack frame", /\n\s+at\s/],
  ["file path", /(?:\/(?:work|home|root|usr|tmp|app|src|node_modules)\/[\w.-]+|\b[A-Z]:\\[\w\\])/],
  ["source location", /\.(?:ts|tsx|js|mjs|cjs):\d+/],
  ["SQL", /\b(?:select\s[\s\S]*?\sfrom|insert\s+into|update\s+"?\w+"?\s+set|delete\s+from)\b/i],
  [
    "database error",
    /\b(?:violates|duplicate key|syntax error at|invalid input syntax|relation "|column "|SQLSTATE|pg_catalog|current_setting|beacon_app|beacon_system)\b/i,
  ],
  [
    "library internals",
    /\b(?:ZodError|DrizzleError|TypeError|RangeError|ReferenceError|SyntaxError|Cannot read propert|undefined is not|is not a function)\b/,
  ],
];

/**
 * The per-response properties: no 5xx, the error envelope, no leaks, documented roles, and no id of
 * the other org's rows (`foreignIds`) unless the request itself named it.
 */
export function checkResponse(
  op: FuzzOp,
  req: FuzzRequest,
  res: CallResult,
  foreignIds: readonly string[] = [],
): string[] {
  const problems: string[] = [];
  const requestText = JSON.stringify(req).toLowerCase();
  const responseText = res.text.toLowerCase();
  for (const id of foreignIds) {
    if (responseText.includes(id.toLowerCase()) && !requestText.includes(id.toLowerCase()))
      problems.push(`the other org's id ${id} in the response`);
  }
  if (res.status >= 500) problems.push(`status ${res.status} (${res.text.slice(0, 300)})`);
  // Every status an operation answers is in its document entry (issue 20: 0 undocumented statuses).
  if (res.status !== op.spec.status && !errorStatuses(op.spec).includes(res.status)) {
    problems.push(`status ${res.status} is not documented for ${op.key} (${res.text.slice(0, 200)})`);
  }
  const rid = res.headers.get("x-request-id");
  if (!rid || !/^[A-Za-z0-9._:-]{8,128}$/.test(rid))
    problems.push(`X-Request-Id missing or unsafe: ${JSON.stringify(rid)}`);
  if (res.status >= 300) {
    const ct = res.headers.get("content-type") ?? "";
    if (!/^application\/json\b/.test(ct)) problems.push(`error with content-type ${JSON.stringify(ct)}`);
    const b = res.body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
    const keysOk =
      b &&
      typeof b === "object" &&
      Object.keys(b).join() === "error" &&
      b.error &&
      typeof b.error === "object" &&
      Object.keys(b.error).every((k) => ["code", "message", "details"].includes(k));
    if (!keysOk || typeof b.error!.code !== "string" || typeof b.error!.message !== "string") {
      problems.push(`error body is not {error:{code,message,details?}}: ${res.text.slice(0, 300)}`);
    } else {
      const code = b.error!.code as keyof typeof ERROR_STATUS;
      if (ERROR_STATUS[code] !== res.status) problems.push(`error code ${String(code)} with status ${res.status}`);
    }
    for (const [what, re] of LEAKS) {
      const m = re.exec(res.text);
      // Echoed input is the caller's own text, not a leak.
      const echoed = (x: string) => requestText.includes(x.toLowerCase());
      if (m && !echoed(JSON.stringify(m[0]).slice(1, -1)) && !echoed(m[0])) {
        problems.push(`${what} in error body: ${JSON.stringify(m[0])} in ${res.text.slice(0, 400)}`);
      }
    }
  }
  if (res.status < 300) {
    if (!admits(op.spec, req.caller))
      problems.push(`${res.status} for ${req.caller}, but the operation is documented for ${op.spec.auth}`);
    if (res.status !== op.spec.status) problems.push(`success status ${res.status}, documented ${op.spec.status}`);
    const ct = res.headers.get("content-type") ?? "";
    if (op.spec.response && /json/.test(ct)) {
      const r = op.spec.response.safeParse(res.body);
      if (!r.success)
        problems.push(
          `response does not match the documented schema: ${r.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join(".")}: ${i.message}`)
            .join("; ")}`,
        );
    }
  }
  return problems;
}

// --- database fingerprint ------------------------------------------------------------------------

export type Fingerprint = Map<string, string>;

/**
 * Bookkeeping that records that valid credentials were presented, whatever came of the request:
 * an upload authorizes in its own short transaction (streamingRoute), which commits the token's
 * last_used_at before the body is read and refused.
 */
const IGNORED_COLUMNS: Record<string, string[]> = { api_tokens: ["last_used_at"] };

/**
 * Every row of every table in `public`, hashed per (table, org), plus pg-boss job counts, read
 * through the superuser connection (no RLS). Keys are "table org" (org "-" for rows without one).
 */
export class Fingerprinter {
  private sql = "";
  constructor(
    private readonly client: pg.Client,
    private readonly extra: () => Record<string, string> = () => ({}),
  ) {}

  async init(): Promise<void> {
    const { rows } = await this.client.query<{ table_name: string; has_org: boolean }>(`
      select t.table_name,
             exists (select 1 from information_schema.columns c where c.table_schema = 'public' and c.table_name = t.table_name and c.column_name = 'org_id') as has_org
        from information_schema.tables t
       where t.table_schema = 'public' and t.table_type = 'BASE TABLE'
       order by 1`);
    const orgExpr = (r: { table_name: string; has_org: boolean }) =>
      r.has_org ? "coalesce(x.org_id::text, '-')" : r.table_name === "orgs" ? "x.id::text" : "'-'";
    const row = (t: string) =>
      IGNORED_COLUMNS[t] ? `(to_jsonb(x) - '{${IGNORED_COLUMNS[t].join(",")}}'::text[])::text` : "x::text";
    const parts = rows.map(
      (r) =>
        `select '${r.table_name}' as t, ${orgExpr(r)} as o, count(*)::text || ':' || md5(string_agg(${row(r.table_name)}, '|' order by ${row(r.table_name)})) as h from public."${r.table_name}" x group by 2`,
    );
    const boss = await this.client.query(
      `select 1 from information_schema.tables where table_schema = 'pgboss' and table_name = 'job'`,
    );
    if (boss.rowCount) parts.push(`select 'pgboss.job' as t, '-' as o, count(*)::text as h from pgboss.job`);
    this.sql = parts.join("\nunion all\n");
  }

  async take(): Promise<Fingerprint> {
    const { rows } = await this.client.query<{ t: string; o: string; h: string }>(this.sql);
    const fp: Fingerprint = new Map(rows.map((r) => [`${r.t} ${r.o}`, r.h]));
    for (const [k, v] of Object.entries(this.extra())) fp.set(k, v);
    return fp;
  }
}

/** Keys whose value differs (restricted to keys matching `only` when given). */
export function diff(a: Fingerprint, b: Fingerprint, only?: (key: string) => boolean): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => (!only || only(k)) && a.get(k) !== b.get(k)).sort();
}

/** Files under a directory with their sizes (attachments written to disk are state too). */
export function listFiles(dir: string): string {
  if (!fs.existsSync(dir)) return "";
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${path.relative(dir, p)}:${fs.statSync(p).size}`);
    }
  };
  walk(dir);
  return out.sort().join(",");
}

/** Own enumerable and non-enumerable keys of the shared prototypes, to catch prototype pollution. */
export function prototypeSnapshot(): string {
  return [Object.prototype, Array.prototype, Function.prototype]
    .map((p) => Object.getOwnPropertyNames(p).sort().join(","))
    .join("|");
}
