import rehypeParse from "rehype-parse";
import { unified } from "unified";
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../src/server/markdown/render";

// A corpus from OWASP's XSS filter-evasion cheat sheet and known mutation-XSS vectors, in raw
// HTML and in markdown form. Whatever is rendered must carry no script, handler, dangerous
// element or dangerous URL.
const CORPUS = [
  "<script>alert(1)</script>",
  "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
  "<IMG SRC=\"javascript:alert('XSS');\">",
  "<IMG SRC=javascript:alert('XSS')>",
  "<IMG SRC=JaVaScRiPt:alert('XSS')>",
  "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
  "<a onmouseover=\"alert(document.cookie)\">xxs link</a>",
  "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
  "<IMG SRC=# onmouseover=\"alert('xxs')\">",
  "<IMG SRC=/ onerror=\"alert(String.fromCharCode(88,83,83))\"></img>",
  "<img src=x onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041\">",
  "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
  "<IMG SRC=\"jav\tascript:alert('XSS');\">",
  "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
  "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
  "<SCRIPT/XSS SRC=\"http://xss.example/xss.js\"></SCRIPT>",
  "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
  "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
  "<iframe src=http://xss.example/scriptlet.html <",
  "<svg/onload=alert('XSS')>",
  "<svg><script>alert(1)</script></svg>",
  "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
  "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
  "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
  "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
  "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
  "<OBJECT TYPE=\"text/x-scriptlet\" DATA=\"http://xss.example/scriptlet.html\"></OBJECT>",
  "<EMBED SRC=\"data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwvc3ZnPg==\" type=\"image/svg+xml\" AllowScriptAccess=\"always\"></EMBED>",
  "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
  "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
  "<BASE HREF=\"javascript:alert('XSS');//\">",
  "<a href=\"javascript&colon;alert(1)\">x</a>",
  "<details open ontoggle=alert(1)>",
  "<input autofocus onfocus=alert(1)>",
  "<button formaction=javascript:alert(1)>x</button>",
  "[click](javascript:alert(1))",
  "[click](JAVASCRIPT:alert(1))",
  "[click](  javascript:alert(1))",
  "[click](javascript&#58;alert(1))",
  "[click](vbscript:msgbox(1))",
  "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "![img](javascript:alert(1))",
  "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
  "[a](https://ok.example \"title\\\" onmouseover=\\\"alert(1)\")",
  "<https://ok.example/\"onmouseover=\"alert(1)>",
  "[x]: javascript:alert(1)\n\n[y][x]",
  "`<script>alert(1)</script>`",
  "```html\n<script>alert(1)</script>\n```",
  "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
  "<a href=\"https://ok.example\" target=\"_blank\">t</a>",
  "www.example.com/<script>",
];

// The output is parsed as a browser would (HTML5 parsing, parse5) and every element and attribute inspected.
const ALLOWED_TAGS = new Set(["p", "a", "strong", "em", "del", "code", "pre", "ul", "ol", "li", "input", "table", "thead", "tbody", "tr", "th", "td", "blockquote", "img", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "sup", "section"]);
type HNode = { type: string; tagName?: string; properties?: Record<string, unknown>; children?: HNode[] };

function problems(html: string): string[] {
  const out: string[] = [];
  const walk = (n: HNode) => {
    if (n.type === "element") {
      if (!ALLOWED_TAGS.has(n.tagName!)) out.push(`element <${n.tagName}>`);
      for (const [k, v] of Object.entries(n.properties ?? {})) {
        if (/^on/i.test(k) || k === "style" || k === "formAction") out.push(`attribute ${k} on <${n.tagName}>`);
        if (["href", "src", "cite", "action", "background"].includes(k) && !/^(https?:|mailto:|#)/i.test(String(v).trim())) out.push(`${k}=${String(v)}`);
      }
    }
    n.children?.forEach(walk);
  };
  walk(unified().use(rehypeParse, { fragment: true }).parse(html) as HNode);
  return out;
}

describe("markdown rendering", () => {
  it("the checker itself flags dangerous HTML", () => {
    expect(problems('<img src="javascript:x" onerror="y"><script></script><a href="data:x" style="a">')).toHaveLength(5);
  });

  it("renders the usual markdown and GFM", () => {
    expect(renderMarkdown("**bold** _em_ `code`")).toBe("<p><strong>bold</strong> <em>em</em> <code>code</code></p>");
    expect(renderMarkdown("~~gone~~")).toBe("<p><del>gone</del></p>");
    expect(renderMarkdown("- [x] done")).toContain('<input type="checkbox" checked disabled>');
    expect(renderMarkdown("| a |\n|---|\n| 1 |")).toContain("<table>");
    expect(renderMarkdown("```js\nlet x = 1 < 2;\n```")).toBe('<pre><code class="language-js">let x = 1 &#x3C; 2;\n</code></pre>');
  });

  it("gives every link rel=nofollow noopener noreferrer and keeps only http(s)/mailto URLs", () => {
    expect(renderMarkdown("[docs](https://docs.example/a?b=1)")).toBe('<p><a href="https://docs.example/a?b=1" rel="nofollow noopener noreferrer">docs</a></p>');
    expect(renderMarkdown("https://auto.example")).toContain('rel="nofollow noopener noreferrer"');
    expect(renderMarkdown("[mail](mailto:help@example.com)")).toContain('href="mailto:help@example.com"');
    expect(renderMarkdown("[x](ftp://files.example)")).not.toContain("href");
  });

  it("shows raw HTML as the text that was typed", () => {
    expect(renderMarkdown("Press <b>Enter</b>")).toBe("<p>Press &#x3C;b>Enter&#x3C;/b></p>");
    expect(renderMarkdown("<div>block</div>")).toBe("<p>&#x3C;div>block&#x3C;/div></p>");
  });

  it.each(CORPUS.map((p, i) => [i, p]))("payload %i leaves nothing executable", (_i, payload) => {
    const html = renderMarkdown(payload as string);
    expect(problems(html), html).toEqual([]);
  });
});
