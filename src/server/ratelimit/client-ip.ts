import "server-only";
import { env } from "../env";

/**
 * The caller's address. The Beacon server (scripts/lib/http-server.ts) appends the socket's
 * address to X-Forwarded-For; with TRUST_PROXY_HOPS=n the address n hops before it is used,
 * so a client cannot pick its own rate-limit key by sending the header itself.
 */
export function clientIp(headers: Headers): string {
  const chain = (headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const i = chain.length - 1 - env().TRUST_PROXY_HOPS;
  return chain[Math.max(0, i)] ?? "unknown";
}
