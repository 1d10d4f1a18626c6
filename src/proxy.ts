import { NextResponse, type NextRequest } from "next/server";
import { env } from "./server/env";

// Pages get a per-request nonce-based Content-Security-Policy: no inline script runs unless Next.js
// itself rendered it with this nonce ('strict-dynamic' lets those scripts load the app's chunks).
// Styles may be inline (React style attributes); scripts may not. API responses get their
// headers from next.config.ts.
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const dev = env().NODE_ENV === "development";
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    // No remote images: one in a comment would tell its host who read the ticket and when.
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("Content-Security-Policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

// Prefetches (next-router-prefetch, Purpose: prefetch) and RSC requests are matched too: a
// prefetched response can be a whole HTML page, and every HTML response carries the CSP.
export const config = {
  matcher: ["/((?!api|_next/static|_next/image|favicon.ico|healthz|readyz).*)"],
};
