// Placeholders in macro replies, notes and email templates ({{requester.first_name}} …). Pure:
// validated when a rule or macro is saved (an unknown name is a 400 naming it and where it is),
// rendered from plain values when it runs.

export const PLACEHOLDERS = [
  "requester.name",
  "requester.first_name",
  "requester.email",
  "assignee.name",
  "assignee.first_name",
  "agent.name",
  "agent.first_name",
  "ticket.number",
  "ticket.subject",
  "ticket.status",
  "ticket.priority",
  "ticket.url",
  "org.name",
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Partial<Record<Placeholder, string>>;

const KNOWN = new Set<string>(PLACEHOLDERS);
const PATTERN = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Every unknown placeholder name in a template, in order of appearance (deduplicated). */
export function unknownPlaceholders(template: string): string[] {
  const out = new Set<string>();
  for (const m of template.matchAll(PATTERN)) if (!KNOWN.has(m[1]!)) out.add(m[1]!);
  return [...out];
}

/** Substitutes known placeholders; one with no value (no assignee yet) renders as empty text. */
export function renderTemplate(template: string, values: PlaceholderValues): string {
  return template.replace(PATTERN, (whole, name: string) =>
    KNOWN.has(name) ? (values[name as Placeholder] ?? "") : whole,
  );
}

export const firstName = (name: string | null | undefined) => (name ?? "").trim().split(/\s+/)[0] ?? "";
