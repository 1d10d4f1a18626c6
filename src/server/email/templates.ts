import "server-only";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit";
import { auditActor } from "../authz/actor";
import { assertCan } from "../authz/permissions";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { emailTemplates } from "../db/schema/email";
import type { Tx } from "../db/tenant";
import { PLACEHOLDERS, renderTemplate, unknownPlaceholders, type PlaceholderValues } from "../markdown/placeholders";

// The customer-facing emails Beacon sends by itself (issue 12 item 6, decision 040): the
// acknowledgement of a ticket opened by email, and the message when a ticket is solved. One template
// of each per org; no stored row means the built-in default below. Placeholders are the macros' own
// (src/server/markdown/placeholders.ts), plus one only these emails can fill: the link by which a
// customer created from their email claims the account (or the sign-in page when they already can).

export const TEMPLATE_KINDS = ["acknowledgement", "solved", "merged"] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

/** Placeholders only customer emails fill (a macro has no claim link to give). */
export const CLAIM_PLACEHOLDER = "account.claim_url";
const CLAIM_PATTERN = /\{\{\s*account\.claim_url\s*\}\}/g;
/**
 * Placeholders only some customer emails fill (decision 051): the merged ticket of a "merged" email,
 * and the one-click rating links of a "solved" email (empty in the other kinds).
 */
export const EMAIL_ONLY_PLACEHOLDERS = [
  "merged.ticket_number",
  "merged.ticket_subject",
  "satisfaction.good_url",
  "satisfaction.bad_url",
] as const;
export type EmailOnlyPlaceholder = (typeof EMAIL_ONLY_PLACEHOLDERS)[number];
export const TEMPLATE_PLACEHOLDERS = [...PLACEHOLDERS, CLAIM_PLACEHOLDER, ...EMAIL_ONLY_PLACEHOLDERS] as const;

export const MAX_TEMPLATE_SUBJECT = 200;
export const MAX_TEMPLATE_BODY = 10_000;

export const DEFAULT_TEMPLATES: Record<TemplateKind, { enabled: boolean; subject: string; body: string }> = {
  acknowledgement: {
    enabled: true,
    // "Re: <their subject>" keeps it in the customer's thread in Gmail, which groups by subject too.
    subject: "Re: {{ticket.subject}}",
    body:
      "Hello {{requester.first_name}},\n\n" +
      'Thank you for writing to {{org.name}}. We have received your request #{{ticket.number}} ("{{ticket.subject}}") ' +
      "and will answer as soon as we can. To add anything, simply reply to this email.\n\n" +
      "You can also follow your requests online: {{account.claim_url}}\n",
  },
  solved: {
    enabled: true,
    subject: "Re: {{ticket.subject}}",
    body:
      "Hello {{requester.first_name}},\n\n" +
      'Your request #{{ticket.number}} ("{{ticket.subject}}") has been marked as solved.\n\n' +
      "If anything is still not right, reply to this email and the request opens again.\n\n" +
      "How did we do? Good: {{satisfaction.good_url}} · Bad: {{satisfaction.bad_url}}\n",
  },
  merged: {
    enabled: true,
    subject: "Re: {{ticket.subject}}",
    body:
      "Hello {{requester.first_name}},\n\n" +
      'Your request #{{merged.ticket_number}} ("{{merged.ticket_subject}}") is about the same matter as request #{{ticket.number}} ' +
      '("{{ticket.subject}}"), so we have combined them: the conversation continues in #{{ticket.number}}.\n\n' +
      "To add anything, simply reply to this email.\n",
  },
};

export const ZTemplateKindParam = z.object({
  kind: z.enum(TEMPLATE_KINDS, { message: `must be one of ${TEMPLATE_KINDS.join(", ")}` }),
});

export const ZEmailTemplate = z.object({
  kind: z.enum(TEMPLATE_KINDS),
  enabled: z.boolean(),
  subject: z.string(),
  body: z.string(),
  /** True while the org uses the built-in text (never saved, or reset). */
  isDefault: z.boolean(),
  updatedAt: z.iso.datetime().nullable(),
});
export type EmailTemplate = z.infer<typeof ZEmailTemplate>;

export const ZPutEmailTemplate = z.strictObject({
  enabled: z.boolean(),
  subject: z
    .string()
    .trim()
    .min(1)
    .max(MAX_TEMPLATE_SUBJECT)
    .refine((s) => !/[\r\n]/.test(s), { message: "must be one line" }),
  body: z.string().trim().min(1).max(MAX_TEMPLATE_BODY),
});
export type PutEmailTemplate = z.infer<typeof ZPutEmailTemplate>;

/** Unknown placeholders of a subject or body (macro placeholders and the claim link are known). */
export function unknownTemplatePlaceholders(text: string): string[] {
  const known = new Set<string>([CLAIM_PLACEHOLDER, ...EMAIL_ONLY_PLACEHOLDERS]);
  return unknownPlaceholders(text).filter((n) => !known.has(n));
}

export const usesClaimLink = (text: string) => new RegExp(CLAIM_PATTERN.source).test(text);

/** Renders a template: the macro engine's placeholders, then the claim link. */
export function renderEmailTemplate(
  text: string,
  values: PlaceholderValues,
  claimUrl: string,
  only: Partial<Record<EmailOnlyPlaceholder, string>> = {},
): string {
  const own = text
    .replace(CLAIM_PATTERN, () => claimUrl)
    .replace(/\{\{\s*((?:merged|satisfaction)\.[a-z_]+)\s*\}\}/g, (whole, name: string) =>
      (EMAIL_ONLY_PLACEHOLDERS as readonly string[]).includes(name)
        ? (only[name as EmailOnlyPlaceholder] ?? "")
        : whole,
    );
  return renderTemplate(own, values);
}

function view(kind: TemplateKind, row?: typeof emailTemplates.$inferSelect): EmailTemplate {
  if (!row) return { kind, ...DEFAULT_TEMPLATES[kind], isDefault: true, updatedAt: null };
  return {
    kind,
    enabled: row.enabled,
    subject: row.subject,
    body: row.body,
    isDefault: false,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The template of a kind in force for the org (for the sending job). */
export async function templateFor(tx: Tx, orgId: string, kind: TemplateKind): Promise<EmailTemplate> {
  const [row] = await tx
    .select()
    .from(emailTemplates)
    .where(and(eq(emailTemplates.orgId, orgId), eq(emailTemplates.kind, kind)))
    .limit(1);
  return view(kind, row);
}

/** GET /email/templates (admin): both kinds, the stored text or the default. */
export async function listEmailTemplates(scope: Scope): Promise<{ data: EmailTemplate[] }> {
  assertCan(scope.user, "org.admin");
  const rows = await scope.tx.select().from(emailTemplates).where(eq(emailTemplates.orgId, scope.user.orgId));
  return {
    data: TEMPLATE_KINDS.map((k) =>
      view(
        k,
        rows.find((r) => r.kind === k),
      ),
    ),
  };
}

/**
 * PUT /email/templates/{kind} (admin): replaces the org's template. An unknown placeholder is a
 * 400 naming it and the field, and nothing is saved (as for macros). Audited with before and after.
 */
export async function putEmailTemplate(
  scope: Scope,
  kind: TemplateKind,
  input: PutEmailTemplate,
): Promise<EmailTemplate> {
  assertCan(scope.user, "org.admin");
  const issues = (["subject", "body"] as const).flatMap((field) =>
    unknownTemplatePlaceholders(input[field]).map((name) => ({
      in: "body",
      path: field,
      message: `unknown placeholder {{${name}}}`,
    })),
  );
  if (issues.length) {
    const names = [...new Set(issues.map((i) => i.message.replace("unknown placeholder ", "")))];
    throw new AppError(
      "validation_failed",
      `unknown placeholder ${names.join(", ")}; known: ${TEMPLATE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}`,
      { issues },
    );
  }
  const { tx, user } = scope;
  const before = await templateFor(tx, user.orgId, kind);
  const [row] = await tx
    .insert(emailTemplates)
    .values({
      orgId: user.orgId,
      kind,
      enabled: input.enabled,
      subject: input.subject,
      body: input.body,
      updatedBy: user.userId,
      updatedAt: new Date(),
    })
    .onConflictDoUpdate({
      target: [emailTemplates.orgId, emailTemplates.kind],
      set: {
        enabled: input.enabled,
        subject: input.subject,
        body: input.body,
        updatedBy: user.userId,
        updatedAt: new Date(),
      },
    })
    .returning();
  await recordAudit(tx, auditActor(scope), {
    action: "org.email_template_changed",
    entityType: "org",
    entityId: user.orgId,
    data: {
      kind,
      before: { enabled: before.enabled, subject: before.subject, body: before.body, isDefault: before.isDefault },
      after: input,
    },
  });
  return view(kind, row);
}

/** DELETE /email/templates/{kind} (admin): back to the built-in default (audited). */
export async function resetEmailTemplate(scope: Scope, kind: TemplateKind): Promise<EmailTemplate> {
  assertCan(scope.user, "org.admin");
  const { tx, user } = scope;
  const gone = await tx
    .delete(emailTemplates)
    .where(and(eq(emailTemplates.orgId, user.orgId), eq(emailTemplates.kind, kind)))
    .returning();
  if (gone[0]) {
    await recordAudit(tx, auditActor(scope), {
      action: "org.email_template_reset",
      entityType: "org",
      entityId: user.orgId,
      data: { kind, before: { enabled: gone[0].enabled, subject: gone[0].subject, body: gone[0].body } },
    });
  }
  return view(kind);
}
