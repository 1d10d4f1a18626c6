import "server-only";
import { renderMarkdown } from "../markdown/render";

// An imported comment's HTML. Most bodies of a helpdesk's history are plain prose: paragraphs of
// words and ordinary punctuation, in which Markdown finds nothing to do. For those the renderer's
// output is known without running it (each paragraph in <p>, its lines kept, paragraphs joined by a
// newline), and building it directly costs a thousandth of the parse → sanitize → stringify
// pipeline, which was the largest share of an import's CPU (decision 060). Everything else (any
// character Markdown, GFM's autolinks or the HTML writer treat specially) goes through
// renderMarkdown as before; tests/unit/import-comment-html.test.ts holds the two to the same output.

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

/**
 * Bodies rendered ahead, while the previous batch was being written (renderAhead), each taken
 * once. Bounded: a batch's worth at most, so a run that never writes what it rendered (a batch
 * read ahead when the run stops) leaves no more than that behind.
 */
const ahead = new Map<string, string>();
const AHEAD_MAX = 20_000;

/** Renders a body the writer will soon need (run-passes.ts prepares a batch while the one before it is written). */
export function renderAhead(body: string): void {
  if (ahead.has(body)) return;
  if (ahead.size >= AHEAD_MAX) ahead.clear();
  ahead.set(body, plainTextHtml(body) ?? renderMarkdown(body));
}

/** The HTML stored with an imported comment: Beacon's sanitizing Markdown renderer's, taken directly for plain prose. */
export function importedCommentHtml(body: string): string {
  const done = ahead.get(body);
  if (done !== undefined) {
    ahead.delete(body);
    return done;
  }
  return plainTextHtml(body) ?? renderMarkdown(body);
}
