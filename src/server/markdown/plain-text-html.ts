// The HTML renderMarkdown writes for plain prose, built directly (decision 060, for imports; since
// decision 063 renderMarkdown itself takes it for every body it fits). Paragraphs of words and
// ordinary punctuation, in which Markdown finds nothing to do: each paragraph in <p>, its lines
// kept, paragraphs joined by a newline. Everything else (any character Markdown, GFM's autolinks
// or the HTML writer treat specially) gets null, and goes through the pipeline;
// tests/unit/import-comment-html.test.ts holds the two to the same output on fixed and on random
// bodies.

/**
 * Characters that can never start Markdown syntax in the middle of a line, nor be escaped by the
 * HTML writer (which escapes only `<` and `&` in text): letters, digits, a single space between
 * words, and quiet punctuation. Not here: `\ ` * _ ~ [ ] < > & # | ! @ + = ^ { }`, tabs, and
 * anything else, which send the body to the renderer.
 */
const PLAIN_LINE = /^\p{L}(?:[\p{L}\p{N}.,;:?'"()/%$-]| (?! |$))*$/u;
/** GFM turns these into links even without brackets: a URL with a scheme, or www.domain. */
const AUTOLINK = /:\/\/|www\./i;

/** The body's HTML as renderMarkdown would produce it, or null when the body is not plain prose. */
export function plainTextHtml(body: string): string | null {
  if (AUTOLINK.test(body)) return null;
  const paragraphs: string[] = [];
  let lines: string[] = [];
  for (const line of body.split("\n")) {
    if (line === "") {
      if (lines.length) paragraphs.push(`<p>${lines.join("\n")}</p>`);
      lines = [];
      continue;
    }
    // A line that starts with a letter is no list item, heading, quote, fence, table, thematic
    // break or indented code; one without trailing spaces ends in no hard break.
    if (!PLAIN_LINE.test(line)) return null;
    lines.push(line);
  }
  if (lines.length) paragraphs.push(`<p>${lines.join("\n")}</p>`);
  return paragraphs.length ? paragraphs.join("\n") : null;
}
