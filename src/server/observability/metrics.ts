import "server-only";
import client from "prom-client";

// One registry per process (kept on globalThis: Next may evaluate this module in more than one
// server bundle). Request, rate-limit and sign-in metrics are counted where they happen; SLA and
// job figures are read from the database at scrape time, so they cover every worker process.

type Metrics = {
  registry: client.Registry;
  httpRequests: client.Counter<"method" | "route" | "status">;
  httpDuration: client.Histogram<"method" | "route" | "status">;
  rateLimitHits: client.Counter<"limiter">;
  signIns: client.Counter<"outcome" | "via">;
  dbErrors: client.Counter<"kind">;
  scrapeDbReads: client.Counter;
  imapFetchErrors: client.Counter<"reason">;
  imapFetched: client.Counter<"duplicate">;
};

const g = globalThis as unknown as { __beaconMetrics?: Metrics };

export function metrics(): Metrics {
  if (g.__beaconMetrics) return g.__beaconMetrics;
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "beacon_" });
  g.__beaconMetrics = {
    registry,
    httpRequests: new client.Counter({
      name: "http_requests_total",
      help: "HTTP requests by route template and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    httpDuration: new client.Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request latency by route template and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    rateLimitHits: new client.Counter({
      name: "rate_limit_hits_total",
      help: "Requests refused by a rate limiter",
      labelNames: ["limiter"],
      registers: [registry],
    }),
    signIns: new client.Counter({
      name: "signin_attempts_total",
      help: "Sign-in and token-grant attempts by outcome",
      labelNames: ["outcome", "via"],
      registers: [registry],
    }),
    dbErrors: new client.Counter({
      name: "db_errors_total",
      help: "API requests that failed on the database: unavailable (connection lost, refused, timed out) or query (a PostgreSQL error answered as 500)",
      labelNames: ["kind"],
      registers: [registry],
    }),
    scrapeDbReads: new client.Counter({
      name: "metrics_database_reads_total",
      help: "Times a scrape read the cross-org figures from the database (at most once per cache interval)",
      registers: [registry],
    }),
    // IMAP mailboxes (decision 034), counted by the worker process that fetches them.
    imapFetchErrors: new client.Counter({
      name: "imap_fetch_errors_total",
      help: "IMAP mailbox sessions that failed (refused, unreachable, timeout, tls, auth, folder, protocol, decrypt; internal: Beacon's own database) and messages left over INBOUND_MAX_BYTES (too_large)",
      labelNames: ["reason"],
      registers: [registry],
    }),
    imapFetched: new client.Counter({
      name: "imap_messages_fetched_total",
      help: "Messages fetched from IMAP mailboxes and stored (duplicate: already stored, a re-fetch after a crash)",
      labelNames: ["duplicate"],
      registers: [registry],
    }),
  };
  for (const kind of ["unavailable", "query"]) g.__beaconMetrics.dbErrors.inc({ kind }, 0);
  return g.__beaconMetrics;
}

export function observeRequest(method: string, route: string, status: number, seconds: number): void {
  const m = metrics();
  const labels = { method, route, status: String(status) };
  m.httpRequests.inc(labels);
  m.httpDuration.observe(labels, seconds);
}

/** Counts a failed API request as a database error when that is what it was (see db_errors_total). */
export function countDbError(err: unknown, failureCode: string): void {
  if (failureCode === "unavailable") {
    metrics().dbErrors.inc({ kind: "unavailable" });
    return;
  }
  if (failureCode !== "internal") return;
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === "string" ? e.code : typeof e?.cause?.code === "string" ? e.cause.code : undefined;
  // A five-character SQLSTATE means PostgreSQL itself refused the statement.
  if (code && /^[0-9A-Z]{5}$/.test(code)) metrics().dbErrors.inc({ kind: "query" });
}
