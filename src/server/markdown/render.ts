import rehypeSanitize, { defaultSchema } from "rehype-sanitize";
import rehypeStringify from "rehype-stringify";
import remarkGfm from "remark-gfm";
import remarkParse from "remark-parse";
import remarkRehype from "remark-rehype";
import { unified } from "unified";
import { plainTextHtml } from "./plain-text-html";

// Markdown → safe HTML, rendered once on write (SPEC §1): remark-parse → remark-gfm →
// remark-rehype → rehype-sanitize (GitHub's schema, narrowed) → rehype-stringify. The sanitizer
// works on the syntax tree, so there is no parse of sanitized HTML that a mutation-XSS payload
// could exploit. Raw HTML in a message is shown as the text the person typed, never as markup.

type Node = { type: string; value?: string; children?: Node[]; tagName?: string; properties?: Record<string, unknown> };

const FLOW_PARENTS = new Set(["root", "blockquote", "listItem", "footnoteDefinition"]);

/** mdast: raw HTML nodes become literal text (escaped on output), in a paragraph at block level. */
function rawHtmlAsText() {
  const walk = (node: Node) => {
    node.children = node.children?.map((child) => {
      if (child.type !== "html") return (walk(child), child);
      const text: Node = { type: "text", value: child.value ?? "" };
      return FLOW_PARENTS.has(node.type) ? { type: "paragraph", children: [text] } : text;
    });
  };
  return (tree: Node) => walk(tree);
}

/** hast, after sanitizing: every link is nofollow and opens nothing with our window's context. */
function hardenLinks() {
  const walk = (node: Node) => {
    for (const child of node.children ?? []) {
      if (child.type === "element" && child.tagName === "a") {
        child.properties = { ...child.properties, rel: ["nofollow", "noopener", "noreferrer"] };
      }
      walk(child);
    }
  };
  return (tree: Node) => walk(tree);
}

/** An image served by Beacon itself: a root-relative path ("/x", never "//host" or "/\\host"). */
const ownImage = (src: string) => /^\/(?![/\\])/.test(src);

/** "example.com/a/b.png" for display, shortened; the whole URL stays in the link. */
function shownUrl(src: string): string {
  let shown = src;
  try {
    const u = new URL(src, "https://relative.invalid");
    shown = `${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    // A URL the parser refuses is shown as written.
  }
  return shown.length > 60 ? `${shown.slice(0, 59)}…` : shown;
}

/**
 * hast, after sanitizing: an image from another host becomes a link the reader may choose to open
 * ("image: example.com/pixel.png — click to open"). Loading it on view would tell that host who
 * read the ticket and when (a tracking pixel); the page CSP's img-src refuses it as well.
 */
function remoteImagesAsLinks() {
  const walk = (node: Node, inLink: boolean) => {
    node.children = node.children?.map((child) => {
      if (child.type === "element" && child.tagName === "img") {
        const src = typeof child.properties?.src === "string" ? child.properties.src : "";
        if (src && ownImage(src)) return child;
        const alt = typeof child.properties?.alt === "string" ? child.properties.alt.trim() : "";
        if (!src) return { type: "text", value: alt ? `[image: ${alt}]` : "[image]" };
        // Inside a link already (a linked badge): the label alone, as links cannot nest.
        if (inLink) return { type: "text", value: `[image${alt ? `: ${alt}` : ""}]` };
        const label = `image${alt ? ` “${alt}”` : ""}: ${shownUrl(src)} — click to open`;
        return { type: "element", tagName: "a", properties: { href: src }, children: [{ type: "text", value: label }] };
      }
      walk(child, inLink || (child.type === "element" && child.tagName === "a"));
      return child;
    });
  };
  return (tree: Node) => walk(tree, false);
}

const schema = {
  ...defaultSchema,
  protocols: {
    ...defaultSchema.protocols,
    href: ["http", "https", "mailto"],
    src: ["http", "https"],
    cite: ["http", "https"],
  },
};

const processor = unified()
  .use(remarkParse)
  .use(remarkGfm)
  .use(rawHtmlAsText)
  .use(remarkRehype)
  .use(rehypeSanitize, schema)
  .use(remoteImagesAsLinks)
  .use(hardenLinks)
  .use(rehypeStringify)
  .freeze();

/** Markdown → safe HTML. Plain prose is built directly (plain-text-html.ts): the same output, a thousandth of the work. */
export function renderMarkdown(markdown: string): string {
  return plainTextHtml(markdown) ?? renderMarkdownPipeline(markdown);
}

/** The whole pipeline, whatever the body: what plainTextHtml must match (tests/unit/import-comment-html.test.ts). */
export function renderMarkdownPipeline(markdown: string): string {
  return String(processor.processSync(markdown)).trim();
}
