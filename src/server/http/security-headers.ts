// Headers on every response, pages and API alike, and the deny-all CSP of the API, the probes and
// the paths the page proxy (src/proxy.ts) skips. next.config.ts gives them to Next's responses;
// npm start's own API server (node-server.ts) sets the same on the responses it answers itself.
// No "server-only" here: next.config.ts imports this file.

export type HeaderPair = { key: string; value: string };

export function commonHeaders(production: boolean): HeaderPair[] {
  return [
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
    { key: "X-Frame-Options", value: "DENY" },
    { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
    { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
    ...(production ? [{ key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" }] : []),
  ];
}

/** API responses (JSON, files), the probes and the paths the page proxy skips allow nothing at all. */
export const DENY_ALL_CSP: HeaderPair = {
  key: "Content-Security-Policy",
  value: "default-src 'none'; frame-ancestors 'none'; sandbox",
};
