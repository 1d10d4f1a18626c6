import rehypeParse from "rehype-parse";
import { unified } from "unified";
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../src/server/markdown/render";
import { XSS_CORPUS } from "../helpers/fuzz-xss-corpus";

// The XSS corpus (OWASP's filter-evasion cheat sheet, mutation-XSS vectors and more, in raw HTML
// and markdown form) is shared with the browser check, tests/e2e/xss-corpus.spec.ts. Whatever is
// rendered must carry no script, handler, dangerous element or dangerous URL.

// The output is parsed as a browser would (HTML5 parsing, parse5) and every element and attribute inspected.
const ALLOWED_TAGS = new Set([
  "p",
  "a",
  "strong",
  "em",
  "del",
  "code",
  "pre",
  "ul",
  "ol",
  "li",
  "input",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "blockquote",
  "img",
  "br",
  "hr",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "sup",
  "section",
]);
type HNode = { type: string; tagName?: string; properties?: Record<string, unknown>; children?: HNode[] };

function problems(html: string): string[] {
  const out: string[] = [];
  const walk = (n: HNode) => {
    if (n.type === "element") {
      if (!ALLOWED_TAGS.has(n.tagName!)) out.push(`element <${n.tagName}>`);
      for (const [k, v] of Object.entries(n.properties ?? {})) {
        if (/^on/i.test(k) || k === "style" || k === "formAction") out.push(`attribute ${k} on <${n.tagName}>`);
        if (
          ["href", "src", "cite", "action", "background"].includes(k) &&
          !/^(https?:|mailto:|#)/i.test(String(v).trim())
        )
          out.push(`${k}=${String(v)}`);
      }
    }
    n.children?.forEach(walk);
  };
  walk(unified().use(rehypeParse, { fragment: true }).parse(html) as HNode);
  return out;
}

describe("markdown rendering", () => {
  it("the checker itself flags dangerous HTML", () => {
    expect(problems('<img src="javascript:x" onerror="y"><script></script><a href="data:x" style="a">')).toHaveLength(
      5,
    );
  });

  it("renders the usual markdown and GFM", () => {
    expect(renderMarkdown("**bold** _em_ `code`")).toBe("<p><strong>bold</strong> <em>em</em> <code>code</code></p>");
    expect(renderMarkdown("~~gone~~")).toBe("<p><del>gone</del></p>");
    expect(renderMarkdown("- [x] done")).toContain('<input type="checkbox" checked disabled>');
    expect(renderMarkdown("| a |\n|---|\n| 1 |")).toContain("<table>");
    expect(renderMarkdown("```js\nlet x = 1 < 2;\n```")).toBe(
      '<pre><code class="language-js">let x = 1 &#x3C; 2;\n</code></pre>',
    );
  });

  it("gives every link rel=nofollow noopener noreferrer and keeps only http(s)/mailto URLs", () => {
    expect(renderMarkdown("[docs](https://docs.example/a?b=1)")).toBe(
      '<p><a href="https://docs.example/a?b=1" rel="nofollow noopener noreferrer">docs</a></p>',
    );
    expect(renderMarkdown("https://auto.example")).toContain('rel="nofollow noopener noreferrer"');
    expect(renderMarkdown("[mail](mailto:help@example.com)")).toContain('href="mailto:help@example.com"');
    expect(renderMarkdown("[x](ftp://files.example)")).not.toContain("href");
  });

  it("shows images from other hosts as a link to click, never as an <img> that loads on view (issue 18 item 9)", () => {
    expect(renderMarkdown("![pixel](https://tracker.example/p.gif?u=1)")).toBe(
      '<p><a href="https://tracker.example/p.gif?u=1" rel="nofollow noopener noreferrer">image “pixel”: tracker.example/p.gif — click to open</a></p>',
    );
    for (const src of ["http://tracker.example/p.gif", "//tracker.example/p.gif", "https://127.0.0.1:39111/p"]) {
      const html = renderMarkdown(`before ![](${src}) after`);
      expect(html, src).not.toContain("<img");
      expect(html, src).toMatch(/<a href="[^"]+" rel="nofollow noopener noreferrer">image: [^<]+ — click to open<\/a>/);
    }
    // A linked badge: the label stays inside the one link (links cannot nest).
    expect(renderMarkdown("[![build](https://ci.example/b.svg)](https://ci.example)")).toBe(
      '<p><a href="https://ci.example" rel="nofollow noopener noreferrer">[image: build]</a></p>',
    );
    // Beacon's own images (root-relative) still render as images.
    expect(renderMarkdown("![shot](/api/v1/attachments/1/download)")).toBe(
      '<p><img src="/api/v1/attachments/1/download" alt="shot"></p>',
    );
  });

  it("shows raw HTML as the text that was typed", () => {
    expect(renderMarkdown("Press <b>Enter</b>")).toBe("<p>Press &#x3C;b>Enter&#x3C;/b></p>");
    expect(renderMarkdown("<div>block</div>")).toBe("<p>&#x3C;div>block&#x3C;/div></p>");
  });

  it.each(XSS_CORPUS.map((p, i) => [i, p]))("payload %i leaves nothing executable", (_i, payload) => {
    const html = renderMarkdown(payload as string);
    expect(problems(html), html).toEqual([]);
  });
});
