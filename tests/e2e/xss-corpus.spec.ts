import { expect, test, type Page } from "@playwright/test";
import { renderMarkdown } from "../../src/server/markdown/render";
import { XSS_CORPUS } from "../helpers/fuzz-xss-corpus";

// Every payload of the XSS corpus, rendered by the real markdown pipeline (src/server/markdown),
// loaded into Chromium in a page with NO Content-Security-Policy — this tests the sanitizer, not
// the CSP — then every element hovered, clicked, focused and keyed. Payloads call a trap instead
// of alert(); the trap must stay unset, no dialog or popup may open, and the page must not navigate.
// Needs no app server: `npx playwright test tests/e2e/xss-corpus.spec.ts`.

/** alert(…), confirm(…), prompt(…) as written in a payload → a call that springs the trap first. */
function withTrap(payload: string): string {
  return payload.replace(/\b(alert|confirm|prompt)(?=\s*[(`])/g, "(window.__xss=1)&&$1");
}

// In every frame (iframes, srcdoc, data: documents), before any of the frame's own scripts: the
// dialogs spring the trap here and in the top window; a message from an opaque-origin frame does too.
const TRAP = `
  window.__xss = undefined;
  const spring = () => { window.__xss = 1; try { top.__xss = 1; } catch {} try { top.postMessage("__xss", "*"); } catch {} };
  window.alert = window.confirm = window.prompt = window.print = spring;
  if (window === top) window.addEventListener("message", (e) => { if (e.data === "__xss") window.__xss = 1; });
`;

function pageFor(html: string): string {
  // The init script covers frames created later; setContent writes into the existing document, so the top one gets it inline.
  return `<!doctype html><html><head><meta charset="utf-8"><title>xss</title><script>${TRAP}</script></head><body><div id="out">${html}</div></body></html>`;
}

/**
 * In each frame: "sprung" when the trap was called, "clobbered" when markup shadows window.__xss
 * (an element with that id or name), else undefined.
 */
async function trapStates(page: Page): Promise<unknown[]> {
  return Promise.all(
    page.frames().map((f) =>
      f
        .evaluate(() => {
          const w = window as { __xss?: unknown };
          if (w.__xss !== undefined) return "sprung";
          delete w.__xss;
          return w.__xss !== undefined ? "clobbered" : undefined;
        })
        .catch(() => "unreadable frame"),
    ),
  );
}

/** Synthetic events for every element: handlers for hover, press, focus, keys, input, media and animation. */
async function poke(page: Page): Promise<void> {
  await page.evaluate(() => {
    // Keep plain http(s)/mailto links from navigating away; javascript: and anything else still runs.
    document.addEventListener(
      "click",
      (e) => {
        const a = (e.target as Element | null)?.closest?.("a[href], area[href]") as HTMLAnchorElement | null;
        if (a && /^(https?|mailto|ftp):$/i.test(a.protocol)) e.preventDefault();
      },
      true,
    );
    document.addEventListener(
      "submit",
      (e) => {
        const f = e.target as HTMLFormElement;
        if (!/^javascript:/i.test(f.getAttribute("action") ?? "")) e.preventDefault();
      },
      true,
    );
    const kinds = [
      "mouseover",
      "mouseenter",
      "mousemove",
      "mousedown",
      "mouseup",
      "pointerover",
      "pointerdown",
      "pointerup",
      "dblclick",
      "contextmenu",
      "wheel",
      "keydown",
      "keypress",
      "keyup",
      "input",
      "change",
      "select",
      "toggle",
      "load",
      "error",
      "animationstart",
      "animationend",
      "transitionend",
      "beforeinput",
      "copy",
      "paste",
      "drag",
      "dragstart",
      "drop",
      "scroll",
    ];
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      for (const k of kinds) el.dispatchEvent(new Event(k, { bubbles: true, cancelable: true }));
      (el as HTMLElement).focus?.();
      (el as HTMLElement).blur?.();
      (el as HTMLElement).click?.();
    }
  });
}

/**
 * Trusted input: the mouse moved onto and clicking every visible element (innermost first, so a
 * click lands on the element itself), then Tab and Enter through the page.
 */
async function handle(page: Page): Promise<void> {
  const boxes = await page.evaluate(() =>
    Array.from(document.querySelectorAll("#out *"))
      .reverse()
      .slice(0, 20)
      .map((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 ? { x: r.left + Math.min(r.width / 2, 5), y: r.top + r.height / 2 } : null;
      })
      .filter((b): b is { x: number; y: number } => b !== null),
  );
  for (const b of boxes) await page.mouse.click(b.x, b.y);
  for (let i = 0; i < 4; i++) await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
}

// Hundreds of mouse actions: a trace of each would cost more than the checks.
test.use({ trace: "off", screenshot: "off" });

test.describe("rendered markdown runs no script in a browser", () => {
  // Ten payloads a test, each in a fresh document of one page: a new browser context per payload
  // would cost more than the checks.
  const CHUNK = 10;
  for (let from = 0; from < XSS_CORPUS.length; from += CHUNK) {
    const chunk = XSS_CORPUS.slice(from, from + CHUNK);
    test(`payloads ${from}–${from + chunk.length - 1}`, async ({ page, context }) => {
      const dialogs: string[] = [];
      const popups: string[] = [];
      page.on("dialog", (d) => {
        dialogs.push(`${d.type()}: ${d.message()}`);
        void d.dismiss().catch(() => undefined);
      });
      context.on("page", (p) => popups.push(p.url()));
      // Nothing leaves the machine: images, iframes and links to other hosts fail (so onerror handlers would fire).
      await context.route("**/*", (route) => route.abort());
      await context.addInitScript(TRAP);
      for (const [j, payload] of chunk.entries()) {
        const html = renderMarkdown(withTrap(payload));
        // A new document (and window) per payload, so nothing one payload did is seen as the next one's.
        await page.goto("about:blank");
        await page.setContent(pageFor(html), { waitUntil: "load" });
        const frameCount = page.frames().length;
        await page.waitForTimeout(20);
        await poke(page);
        await handle(page);
        // javascript: URLs run from a queued task.
        await page.waitForTimeout(80);

        const what = `payload ${from + j}: ${JSON.stringify(payload)}\nrendered: ${html}`;
        // Same-document fragment links (#…) may move the hash, nothing else.
        expect.soft(page.url().replace(/#.*$/, ""), what).toBe("about:blank");
        const traps = await trapStates(page);
        expect.soft(traps, what).toEqual(traps.map(() => undefined));
        expect.soft(dialogs.splice(0), what).toEqual([]);
        expect.soft(popups.splice(0), what).toEqual([]);
        // The sanitizer lets no frame through, so there is nothing where a script could hide from the trap.
        expect.soft(frameCount, what).toBe(1);
      }
    });
  }

  test("the trap springs for markup that does run script", async ({ page, context }) => {
    await context.route("**/*", (route) => route.abort());
    await context.addInitScript(TRAP);
    const unsafe = [
      '<img src="x" onerror="alert(1)">',
      '<a href="javascript:alert(1)">x</a>',
      '<svg onload="alert(1)"></svg>',
      '<input autofocus onfocus="alert(1)">',
      '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
      '<a href="#" onmouseover="alert(1)">hover</a>',
      '<a id="__xss">clobbered</a>',
    ];
    for (const html of unsafe) {
      await page.goto("about:blank");
      await page.setContent(pageFor(html), { waitUntil: "load" });
      await poke(page);
      await handle(page);
      await page.waitForTimeout(100);
      expect(
        (await trapStates(page)).some((t) => t !== undefined),
        html,
      ).toBe(true);
    }
  });
});
