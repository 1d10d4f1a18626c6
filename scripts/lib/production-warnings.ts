// Production settings that are legal but usually wrong (issue 21 §4, issue 18 item 12): the boot
// log warns about each, and release:check shows them as FAIL or CONFIRM rows.
import type { Env } from "../../src/server/env";

export type ProductionWarning = { key: string; severity: "fail" | "confirm"; message: string };

export function productionWarnings(
  env: Pick<Env, "NODE_ENV" | "METRICS_TOKEN" | "SMTP_URL" | "REDIS_URL" | "TRUST_PROXY_HOPS">,
): ProductionWarning[] {
  if (env.NODE_ENV !== "production") return [];
  const out: ProductionWarning[] = [];
  if (!env.METRICS_TOKEN)
    out.push({
      key: "METRICS_TOKEN",
      severity: "fail",
      message: "unset: /api/metrics is open to anyone who can reach the app",
    });
  if (!env.SMTP_URL)
    out.push({
      key: "SMTP_URL",
      severity: "fail",
      message: "unset: email is written to files under BEACON_DATA_DIR/mail, nobody receives it",
    });
  if (!env.REDIS_URL)
    out.push({
      key: "REDIS_URL",
      severity: "confirm",
      message: "unset: rate limits are per process (fine for one app process, not for several)",
    });
  if (env.TRUST_PROXY_HOPS === 0)
    out.push({
      key: "TRUST_PROXY_HOPS",
      severity: "confirm",
      message: "0: client IPs are the socket's peer; behind a reverse proxy every client shares the proxy's address",
    });
  return out;
}
