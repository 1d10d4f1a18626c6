import { z } from "zod";

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
    /** Set by scripts/start.ts when it runs embedded PostgreSQL for this process. */
    BEACON_EMBEDDED_DB: optionalString,
    NEXTAUTH_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, {
      message: "must be at least 32 characters",
    }),
    NEXTAUTH_URL: url(["http:", "https:"]),
    REDIS_URL: url(["redis:", "rediss:"]),
    SMTP_URL: url(["smtp:", "smtps:"]),
    MAIL_FROM: optionalString,
    METRICS_TOKEN: optionalString,
    DEMO_PASSWORD: optionalString.refine((v) => v === undefined || v.length >= 8, {
      message: "must be at least 8 characters",
    }),
    FEATURES_DISABLED: optionalString.transform((v) =>
      (v ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    PORT: intFrom(3000, 1),
    HOST: z.string().default("0.0.0.0"),
    /** How many reverse proxies in front of Beacon append to X-Forwarded-For (0: trust none). */
    TRUST_PROXY_HOPS: intFrom(0, 0),
    BEACON_DATA_DIR: z.string().default(".data"),
    RATE_LIMIT_SIGNIN_PER_5MIN: intFrom(5, 1),
    RATE_LIMIT_SIGNIN_IP_PER_DAY: intFrom(100, 1),
    RATE_LIMIT_USER_PER_MIN: intFrom(300, 1),
    RATE_LIMIT_IP_PER_MIN: intFrom(1000, 1),
    RATE_LIMIT_SEARCH_PER_MIN: intFrom(60, 1),
    DB_POOL_MAX: intFrom(10, 1),
    /** Largest attachment accepted, in bytes (default 10 MiB). */
    ATTACHMENT_MAX_BYTES: intFrom(10 * 1024 * 1024, 1),
    /** With S3_BUCKET set, attachments go to that S3-compatible bucket instead of BEACON_DATA_DIR/uploads. */
    S3_BUCKET: optionalString,
    /** e.g. http://127.0.0.1:9000 for MinIO; default https://s3.<region>.amazonaws.com. */
    S3_ENDPOINT: url(["http:", "https:"]),
    S3_REGION: z.string().default("us-east-1"),
    S3_ACCESS_KEY_ID: optionalString,
    S3_SECRET_ACCESS_KEY: optionalString,
    /** Path-style URLs (endpoint/bucket/key), as MinIO and most self-hosted stores want. */
    S3_FORCE_PATH_STYLE: optionalString.pipe(z.enum(["true", "false", "1", "0"]).optional()).transform((v) => v === "true" || v === "1"),
    /** Full ticket exports per admin per minute. */
    RATE_LIMIT_EXPORT_PER_MIN: intFrom(10, 1),
    /** The incremental export leaves out the last N seconds, so a change still committing is never skipped. */
    EXPORT_INCREMENTAL_LAG_SECONDS: intFrom(60, 0),
  })
  .superRefine((e, ctx) => {
    if (e.S3_BUCKET !== undefined) {
      for (const key of ["S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] as const) {
        if (e[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: "is required when S3_BUCKET is set" });
      }
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

export class EnvError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid environment: ${problems.join("; ")}`);
  }
}

/** Parses a given environment; one line per problem, each naming its variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = ZEnv.safeParse(source);
  if (!result.success) {
    throw new EnvError(
      result.error.issues.map((i) => `${i.path.join(".") || "environment"} ${i.message}`),
    );
  }
  return result.data;
}

let cached: Env | undefined;

export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** For the start script, which fills in embedded defaults before the app reads its env. */
export function setProcessEnv(values: Record<string, string>): void {
  for (const [k, v] of Object.entries(values)) process.env[k] = v;
  cached = undefined;
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
