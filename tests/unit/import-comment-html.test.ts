import { describe, expect, it } from "vitest";
// Compared with the pipeline itself: renderMarkdown takes the short path too (decision 063).
import { renderMarkdownPipeline as renderMarkdown } from "../../src/server/markdown/render";
import { importedCommentHtml, plainTextHtml } from "../../src/server/import/comment-html";

// An imported comment's HTML is taken directly for plain prose (decision 060). Whatever the short
// path answers must be exactly what Beacon's renderer writes; whatever it cannot be sure of, it
// leaves to the renderer.

const PROSE = [
  "Hello",
  "Hello there\n\nThe printer on the second floor is broken again. Please send someone.\n\nThanks\nCarol",
  "Internal: dispatching facilities, ticket 42 (again).",
  'She said "it\'s fine" - but it is 50% slower/worse than before; costs $30?',
  "Grüße aus Köln\n\nDie Lieferung ist noch nicht da.\n\n\n\nViele Grüße\nJürgen",
  "Überweisung erhalten. Danke",
  "数据导出失败 请帮忙",
  "Line one\nLine two\nLine three",
];

/** Near misses: each differs from prose by one thing Markdown, GFM or the HTML writer acts on. */
const SYNTAX = [
  "See https://status.example.com/x for details.",
  "Go to www.example.com now",
  "Mail me at carol@example.com",
  "This is **bold** text",
  "This is *em* and _em_",
  "Use `code` here",
  "- one\n- two",
  "1. first\n2. second",
  "Title\n=====",
  "Title\n-----",
  "# Heading",
  "> quoted",
  "    indented code",
  "Hard  \nbreak",
  "Back\\\nslash",
  "a < b & c > d",
  "Tom &amp; Jerry",
  "[link](http://x.y)",
  "| a | b |\n|---|---|\n| 1 | 2 |",
  "~~gone~~",
  "Tab\there",
  "Windows\r\nline",
  " leading space",
  "trailing space ",
  "two  spaces",
  "",
  "\n\n",
  "2024 was a year",
  "Cost: 5 + 3 = 8",
  "Footnote[^1]",
];

describe("imported comment HTML", () => {
  it("renders plain prose without the renderer, exactly as the renderer does", () => {
    for (const body of PROSE) {
      const fast = plainTextHtml(body);
      expect(fast, body).not.toBeNull();
      expect(fast, body).toBe(renderMarkdown(body));
    }
  });

  it("leaves every body with Markdown, autolinks, escapes or odd spacing to the renderer", () => {
    for (const body of SYNTAX) {
      expect(plainTextHtml(body), JSON.stringify(body)).toBeNull();
      expect(importedCommentHtml(body)).toBe(renderMarkdown(body));
    }
  });

  it("agrees with the renderer on random text of prose and syntax characters", () => {
    // A seeded generator, so a failure can be reproduced.
    let seed = 60;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const prose = [..."abcXYZéü数 0123.,;:?'\"()/%$-", "\n", "\n\n", "Word "];
    const syntax = [..."*_`~[]<>&#|@+=^{}\\\t!", "  ", " \n", "\n- ", "\n1. ", "www.", "://", "\n===", "\n    "];
    let fast = 0;
    for (let i = 0; i < 3000; i++) {
      const body =
        (rand() < 0.9 ? "T" : "") +
        Array.from({ length: 1 + Math.floor(rand() * 40) }, () =>
          rand() < 0.95 ? prose[Math.floor(rand() * prose.length)]! : syntax[Math.floor(rand() * syntax.length)]!,
        ).join("");
      const html = plainTextHtml(body);
      if (html === null) continue;
      fast++;
      expect(html, JSON.stringify(body)).toBe(renderMarkdown(body));
    }
    // The short path is taken often enough for the comparison to mean something.
    expect(fast).toBeGreaterThan(300);
  });
});
