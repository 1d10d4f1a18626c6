import ipaddr from "ipaddr.js";
import { z } from "zod";

/** Features that can be switched off (FEATURES_DISABLED or flags); here, beside the variable that names them. */
export const FEATURES = [
  "attachments",
  "export",
  "search",
  "webhooks",
  "signup_tokens",
  "notifications_email",
  "email_inbound",
] as const;
export type Feature = (typeof FEATURES)[number];

// The one place that reads process.env. Everything else calls env().

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v));

const intFrom = (def: number, min = 0) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) {
        ctx.addIssue({ code: "custom", message: `must be an integer >= ${min}` });
        return z.NEVER;
      }
      return n;
    });

const url = (protocols: string[]) =>
  optionalString.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(" or ")})` },
  );

export const ZEnv = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    DATABASE_URL: url(["postgres:", "postgresql:"]),
    /** Request work's login role (docs/decisions/027); unset: DATABASE_URL as beacon_web with a derived password. */
    DATABASE_WEB_URL: url(["postgres:", "postgresql:"]),
    /** Set by scripts/start.ts when it runs embedded PostgreSQL for this process. */
    BEACON_EMBEDDED_DB: optionalString,
    NEXTAUTH_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
      message: "must be at least 32 characters",
    }),
    /**
     * Secrets NEXTAUTH_SECRET replaced, comma-separated: still accepted to open sealed secrets (TOTP,
     * IMAP passwords) and to verify reply tokens while `npm run secrets -- reseal` moves them over.
     */
    NEXTAUTH_SECRET_PREVIOUS: optionalString.refine(
      (v) => v === undefined || v.split(",").every((s) => s.trim().length >= 32),
      {
        message: "each comma-separated secret must be at least 32 characters",
      },
    ),
    NEXTAUTH_URL: url(["http:", "https:"]),
    REDIS_URL: url(["redis:", "rediss:"]),
    SMTP_URL: url(["smtp:", "smtps:"]),
    MAIL_FROM: optionalString,
    METRICS_TOKEN: optionalString,
    DEMO_PASSWORD: optionalString.refine((v) => v === undefined || v.length >= 8, {
      message: "must be at least 8 characters",
    }),
    FEATURES_DISABLED: optionalString.transform((v, ctx) => {
      const names = (v ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const unknown = names.filter((n) => !(FEATURES as readonly string[]).includes(n));
      if (unknown.length) {
        ctx.addIssue({
          code: "custom",
          message: `has unknown feature name(s) ${unknown.map((n) => `"${n}"`).join(", ")}; valid names: ${FEATURES.join(", ")}`,
        });
        return z.NEVER;
      }
      return names as (typeof FEATURES)[number][];
    }),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    PORT: intFrom(3000, 1),
    HOST: z.string().default("0.0.0.0"),
    /**
     * npm start's HTTP worker processes (node:cluster, sharing PORT); unset: one per CPU core.
     * 1: no cluster, the one process serves HTTP and runs the job worker (docs/decisions/046).
     */
    WEB_CONCURRENCY: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === "") return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 64) {
          ctx.addIssue({
            code: "custom",
            message: "must be a whole number from 1 to 64 (HTTP worker processes; unset: one per CPU core)",
          });
          return z.NEVER;
        }
        return n;
      }),
    /** How many reverse proxies in front of Beacon append to X-Forwarded-For (0: trust none). */
    TRUST_PROXY_HOPS: intFrom(0, 0),
    BEACON_DATA_DIR: z.string().default(".data"),
    /** On SIGTERM/SIGINT, how long in-flight requests and running jobs get to finish (ms). */
    SHUTDOWN_GRACE_MS: intFrom(10_000, 0).refine((n) => n <= 600_000, {
      message: "must be at most 600000 (10 minutes)",
    }),
    /** Where npm start / npm run worker write their pid (default BEACON_DATA_DIR/beacon.pid or worker.pid). */
    BEACON_PID_FILE: optionalString,
    RATE_LIMIT_SIGNIN_PER_5MIN: intFrom(5, 1),
    RATE_LIMIT_SIGNIN_IP_PER_DAY: intFrom(100, 1),
    RATE_LIMIT_USER_PER_MIN: intFrom(300, 1),
    RATE_LIMIT_IP_PER_MIN: intFrom(1000, 1),
    RATE_LIMIT_SEARCH_PER_MIN: intFrom(60, 1),
    DB_POOL_MAX: intFrom(10, 1),
    /**
     * Inbound messages one job worker applies at once (the email-inbound queue, decision 063): while
     * one waits on the database another parses, so a worker process can use its core.
     */
    INBOUND_APPLY_CONCURRENCY: intFrom(4, 1),
    /** Largest attachment accepted, in bytes (default 10 MiB). */
    ATTACHMENT_MAX_BYTES: intFrom(10 * 1024 * 1024, 1),
    /** Largest export an admin may upload to import (one file or a .zip), in bytes (default 2 GiB; decision 055). */
    IMPORT_MAX_BYTES: intFrom(2 * 1024 * 1024 * 1024, 1),
    /** Most bytes a .zip export may unpack to, all entries together (default 8 GiB; decision 055). */
    IMPORT_MAX_UNZIPPED_BYTES: intFrom(8 * 1024 * 1024 * 1024, 1),
    /** With S3_BUCKET set, attachments go to that S3-compatible bucket instead of BEACON_DATA_DIR/uploads. */
    S3_BUCKET: optionalString,
    /** e.g. http://127.0.0.1:9000 for MinIO; default https://s3.<region>.amazonaws.com. */
    S3_ENDPOINT: url(["http:", "https:"]),
    S3_REGION: z.string().default("us-east-1"),
    S3_ACCESS_KEY_ID: optionalString,
    S3_SECRET_ACCESS_KEY: optionalString,
    /** Path-style URLs (endpoint/bucket/key), as MinIO and most self-hosted stores want. */
    S3_FORCE_PATH_STYLE: optionalString
      .pipe(z.enum(["true", "false", "1", "0"]).optional())
      .transform((v) => v === "true" || v === "1"),
    /** Full ticket exports per admin per minute. */
    RATE_LIMIT_EXPORT_PER_MIN: intFrom(10, 1),
    /** GET /api/metrics requests per client IP per minute (a Prometheus scraping every 15 s uses 4). */
    RATE_LIMIT_METRICS_PER_MIN: intFrom(60, 1),
    /** The incremental export leaves out the last N seconds, so a change still committing is never skipped. */
    EXPORT_INCREMENTAL_LAG_SECONDS: intFrom(60, 0),
    /**
     * CIDR ranges outbound requests to tenant-chosen URLs may reach although they are not public,
     * e.g. "10.20.0.0/16,fd00::/8" for an on-premises receiver (decision 021). Empty: public only.
     */
    OUTBOUND_ALLOW_PRIVATE: optionalString.transform((v, ctx) => {
      const list = (v ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      for (const c of list) {
        if (!(ipaddr.IPv4.isValidCIDRFourPartDecimal(c) || (c.includes(":") && ipaddr.IPv6.isValidCIDR(c)))) {
          ctx.addIssue({ code: "custom", message: `${c} is not a CIDR range such as 10.0.0.0/8 or fd00::/8` });
          return z.NEVER;
        }
      }
      return list;
    }),
    /**
     * The inbound SMTP receiver (SPEC §11, decision 029). Outside production it listens on
     * 127.0.0.1:2525 unless told otherwise; in production only when host or port is set.
     * INBOUND_SMTP_PORT=off switches it off anywhere; 0 picks a free port (tests).
     */
    INBOUND_SMTP_HOST: optionalString,
    INBOUND_SMTP_PORT: optionalString.transform((v, ctx) => {
      if (v === undefined || v.trim().toLowerCase() === "off") return v === undefined ? undefined : ("off" as const);
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65_535) {
        ctx.addIssue({ code: "custom", message: "must be a port number (0-65535) or off" });
        return z.NEVER;
      }
      return n;
    }),
    /** Largest inbound message, in bytes (default 25 MiB); larger mail is refused with 552. */
    INBOUND_MAX_BYTES: intFrom(25 * 1024 * 1024, 1024),
    /** Messages one envelope sender may deliver per minute; more get 451 (the sender retries later). */
    INBOUND_RATE_PER_SENDER_PER_MIN: intFrom(30, 1),
    /**
     * STARTTLS and AUTH on the receiver, for a relay in front of it (decision 035): PEM files of a
     * key and certificate enable STARTTLS; REQUIRE_TLS refuses mail before it. AUTH_USER and
     * AUTH_PASSWORD make AUTH PLAIN/LOGIN required, accepted only over TLS unless the receiver
     * listens on loopback.
     */
    INBOUND_SMTP_TLS_KEY: optionalString,
    INBOUND_SMTP_TLS_CERT: optionalString,
    INBOUND_SMTP_REQUIRE_TLS: optionalString
      .pipe(z.enum(["true", "false", "1", "0"]).optional())
      .transform((v) => v === "true" || v === "1"),
    INBOUND_SMTP_AUTH_USER: optionalString,
    INBOUND_SMTP_AUTH_PASSWORD: optionalString,
    /** IMAP mailboxes (decision 034): how often the worker looks for new mail when the server has no IDLE, or IDLE stays quiet. */
    IMAP_POLL_SECONDS: intFrom(60, 1),
  })
  .superRefine((e, ctx) => {
    if (e.S3_BUCKET !== undefined) {
      for (const key of ["S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] as const) {
        if (e[key] === undefined)
          ctx.addIssue({ code: "custom", path: [key], message: "is required when S3_BUCKET is set" });
      }
    }
    if ((e.INBOUND_SMTP_TLS_KEY === undefined) !== (e.INBOUND_SMTP_TLS_CERT === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [e.INBOUND_SMTP_TLS_KEY === undefined ? "INBOUND_SMTP_TLS_KEY" : "INBOUND_SMTP_TLS_CERT"],
        message: "is required with the other of INBOUND_SMTP_TLS_KEY/INBOUND_SMTP_TLS_CERT",
      });
    }
    if (e.INBOUND_SMTP_REQUIRE_TLS && e.INBOUND_SMTP_TLS_CERT === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["INBOUND_SMTP_REQUIRE_TLS"],
        message: "needs INBOUND_SMTP_TLS_KEY and INBOUND_SMTP_TLS_CERT",
      });
    }
    if ((e.INBOUND_SMTP_AUTH_USER === undefined) !== (e.INBOUND_SMTP_AUTH_PASSWORD === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [e.INBOUND_SMTP_AUTH_USER === undefined ? "INBOUND_SMTP_AUTH_USER" : "INBOUND_SMTP_AUTH_PASSWORD"],
        message: "is required with the other of INBOUND_SMTP_AUTH_USER/INBOUND_SMTP_AUTH_PASSWORD",
      });
    }
    // A password over plain TCP to a public address: refused, unless the receiver listens on loopback.
    if (
      e.INBOUND_SMTP_AUTH_USER !== undefined &&
      e.INBOUND_SMTP_TLS_CERT === undefined &&
      !isLoopbackHost(e.INBOUND_SMTP_HOST ?? "127.0.0.1")
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["INBOUND_SMTP_AUTH_USER"],
        message: "needs INBOUND_SMTP_TLS_KEY and INBOUND_SMTP_TLS_CERT unless INBOUND_SMTP_HOST is a loopback address",
      });
    }
    const external = e.DATABASE_URL !== undefined && e.BEACON_EMBEDDED_DB === undefined;
    if (e.NODE_ENV === "production" && external && !e.NEXTAUTH_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["NEXTAUTH_SECRET"],
        message: "is required when NODE_ENV=production with an external DATABASE_URL",
      });
    }
  });

export type Env = z.infer<typeof ZEnv>;

/** 127.0.0.0/8, ::1 or localhost: a listener only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

export class EnvError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid environment: ${problems.join("; ")}`);
  }
}

/** Parses a given environment; one line per problem, each naming its variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = ZEnv.safeParse(source);
  if (!result.success) {
    throw new EnvError(result.error.issues.map((i) => `${i.path.join(".") || "environment"} ${i.message}`));
  }
  return result.data;
}

// One parsed env per process, kept on globalThis like the pool and the metrics registry: the start
// script's own API server (tsx) and Next's server bundle each evaluate this module, and must not
// keep two copies (setProcessEnv in one would leave the other's stale).
const g = globalThis as unknown as { __beaconEnv?: Env };

export function env(): Env {
  g.__beaconEnv ??= parseEnv(process.env);
  return g.__beaconEnv;
}

/** For the start script, which fills in embedded defaults before the app reads its env. */
export function setProcessEnv(values: Record<string, string>): void {
  for (const [k, v] of Object.entries(values)) process.env[k] = v;
  g.__beaconEnv = undefined;
}

/** Boot-time check: print each problem on its own line and exit non-zero. */
export function envOrExit(): Env {
  try {
    return env();
  } catch (err) {
    if (err instanceof EnvError) {
      for (const p of err.problems) console.error(`Invalid environment: ${p}`);
      process.exit(1);
    }
    throw err;
  }
}
