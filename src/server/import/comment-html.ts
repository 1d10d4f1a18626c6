import "server-only";
import { renderMarkdown } from "../markdown/render";
import { plainTextHtml } from "../markdown/plain-text";

// An imported comment's HTML: renderMarkdown, which takes plain prose's known rendering directly
// (plainTextHtml, src/server/markdown/plain-text.ts, decision 060), rendered ahead for a batch.

export { plainTextHtml };

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
  ahead.set(body, renderMarkdown(body));
}

/** The HTML stored with an imported comment: Beacon's sanitizing Markdown renderer's, taken directly for plain prose. */
export function importedCommentHtml(body: string): string {
  const done = ahead.get(body);
  if (done !== undefined) {
    ahead.delete(body);
    return done;
  }
  return renderMarkdown(body);
}
