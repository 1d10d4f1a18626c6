import type { Metadata, Viewport } from "next";
import { headers } from "next/headers";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Beacon", template: "%s · Beacon" },
  description: "Beacon helpdesk",
};
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Every page renders per request: the nonce-based CSP (src/proxy.ts) needs a fresh nonce in each
  // page's scripts, which a prerendered page cannot have.
  await headers();
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
