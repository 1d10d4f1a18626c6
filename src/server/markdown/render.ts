import rehypeSanitize, { defaultSchema } from "rehype-sanitize";
import rehypeStringify from "rehype-stringify";
import remarkGfm from "remark-gfm";
import remarkParse from "remark-parse";
import remarkRehype from "remark-rehype";
import { unified } from "unified";

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

const schema = {
  ...defaultSchema,
  protocols: { ...defaultSchema.protocols, href: ["http", "https", "mailto"], src: ["http", "https"], cite: ["http", "https"] },
};

const processor = unified()
  .use(remarkParse)
  .use(remarkGfm)
  .use(rawHtmlAsText)
  .use(remarkRehype)
  .use(rehypeSanitize, schema)
  .use(hardenLinks)
  .use(rehypeStringify)
  .freeze();

export function renderMarkdown(markdown: string): string {
  return String(processor.processSync(markdown)).trim();
}
