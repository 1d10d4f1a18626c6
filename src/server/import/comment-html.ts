import "server-only";
import { renderMarkdown } from "../markdown/render";

// An imported comment's HTML. Most bodies of a helpdesk's history are plain prose, for which the
// renderer's output is built directly (../markdown/plain-text-html.ts, decision 060; since decision
// 063 renderMarkdown does that itself for every write), and the rest is rendered a batch ahead.
export { plainTextHtml } from "../markdown/plain-text-html";

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
