// Largest-contentful-paint of a page in Chromium (issue 14 item 9): reported, never asserted.
// Used by scripts/bench/lcp.ts (any running Beacon) and by tests/e2e/workspace-live.spec.ts
// (the e2e build on the demo data), so both report the same figure the same way.
import type { Page } from "@playwright/test";

export type LcpSample = { url: string; cold: boolean; lcpMs: number; domNodes: number; transferKb: number };

/** Loads url in page and reads the last largest-contentful-paint entry (ms since navigation start). */
export async function measureLcp(page: Page, url: string, cold: boolean): Promise<LcpSample> {
  if (cold) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.clearBrowserCache");
    await cdp.detach();
  }
  await page.goto(url, { waitUntil: "load" });
  const r = await page.evaluate(
    () =>
      new Promise<{ lcp: number; nodes: number; kb: number }>((resolve) => {
        let lcp = 0;
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) lcp = Math.max(lcp, e.startTime);
        }).observe({ type: "largest-contentful-paint", buffered: true });
        // LCP entries are final once the page has been idle a moment after load.
        setTimeout(() => {
          const kb =
            performance
              .getEntriesByType("resource")
              .reduce((n, e) => n + ((e as PerformanceResourceTiming).transferSize || 0), 0) / 1024;
          resolve({ lcp, nodes: document.getElementsByTagName("*").length, kb });
        }, 500);
      }),
  );
  return { url, cold, lcpMs: Math.round(r.lcp), domNodes: r.nodes, transferKb: Math.round(r.kb) };
}

/** Cold then `warm` warm loads of each url; the median warm LCP per url. */
export async function lcpReport(
  page: Page,
  urls: string[],
  warm = 5,
): Promise<{ url: string; coldMs: number; warmMedianMs: number; warmMaxMs: number; domNodes: number }[]> {
  const out = [];
  for (const url of urls) {
    const cold = await measureLcp(page, url, true);
    const samples: number[] = [];
    for (let i = 0; i < warm; i++) samples.push((await measureLcp(page, url, false)).lcpMs);
    samples.sort((a, b) => a - b);
    out.push({
      url,
      coldMs: cold.lcpMs,
      warmMedianMs: samples[Math.floor(samples.length / 2)]!,
      warmMaxMs: samples[samples.length - 1]!,
      domNodes: cold.domNodes,
    });
  }
  return out;
}
