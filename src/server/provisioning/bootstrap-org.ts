import "server-only";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { enterTenant, unsafeWithSystem } from "../db/tenant";
import { orgs } from "../db/schema/orgs";
import { oneTimeTokens, users } from "../db/schema/users";
import { calendars, slaPolicies, type CalendarInterval } from "../db/schema/sla";
import { automations } from "../db/schema/automation";
import { defaultAutomationRows } from "../automation/defaults";
import type { TicketPriority } from "../db/schema/enums";
import { recordAudit } from "../audit/record-audit";
import { mintLinkToken } from "../auth/api-tokens";
import { setupUrl } from "../auth/setup-link";
import { isFeatureEnabled } from "../flags/flags";
import { AppError } from "../core/errors";
import { toAppError } from "../core/to-app-error";
import { one } from "../core/one";

export const SETUP_LINK_HOURS = 24;

const SLUG_RE = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

export function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const ZBootstrapOrg = z.strictObject({
  name: z.string().trim().min(1, { message: "must not be empty" }).max(100),
  adminEmail: z.email({ message: "must be an email address" }).max(320),
  adminName: z.string().trim().min(1).max(100).optional(),
  slug: z
    .string()
    .trim()
    .toLowerCase()
    .regex(SLUG_RE, { message: "must be 1–40 lowercase letters, digits or dashes, not starting or ending with a dash" })
    .optional(),
  timezone: z
    .string()
    .trim()
    .refine(isValidTimezone, { message: "must be an IANA time zone such as Europe/Paris" })
    .default("UTC"),
});
export type BootstrapOrg = z.input<typeof ZBootstrapOrg>;

/** "Acme Support, Inc." → "acme-support-inc"; null when nothing usable is left. */
export function slugFromName(name: string): string | null {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return SLUG_RE.test(slug) ? slug : null;
}

/** The targets the spec gives the demo; a new org starts with them too, and an admin edits them. */
export const DEFAULT_SLA_TARGETS: ReadonlyArray<{
  priority: TicketPriority;
  firstResponseMinutes: number;
  resolveMinutes: number;
  businessHours: boolean;
}> = [
  { priority: "urgent", firstResponseMinutes: 60, resolveMinutes: 4 * 60, businessHours: false },
  { priority: "high", firstResponseMinutes: 4 * 60, resolveMinutes: 24 * 60, businessHours: false },
  { priority: "normal", firstResponseMinutes: 8 * 60, resolveMinutes: 48 * 60, businessHours: true },
  { priority: "low", firstResponseMinutes: 24 * 60, resolveMinutes: 120 * 60, businessHours: true },
];

export const BUSINESS_HOURS: CalendarInterval[] = [1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "17:00" }));

/** Rows for a Mon–Fri 09:00–17:00 calendar in the org's time zone and one policy per priority. */
export function defaultSlaRows(orgId: string, timezone: string) {
  const calendar = {
    orgId,
    id: randomUUID(),
    name: "Business hours",
    timezone,
    intervals: BUSINESS_HOURS,
    holidays: [],
  };
  const policies = DEFAULT_SLA_TARGETS.map((t) => ({
    orgId,
    id: randomUUID(),
    priority: t.priority,
    firstResponseMinutes: t.firstResponseMinutes,
    resolveMinutes: t.resolveMinutes,
    businessHours: t.businessHours,
    calendarId: t.businessHours ? calendar.id : null,
  }));
  return { calendar, policies };
}

export type BootstrappedOrg = {
  org: { id: string; name: string; slug: string; timezone: string };
  admin: { id: string; email: string; name: string };
  /** Shown once; only its hash is stored. */
  setupToken: string;
  setupUrl: string;
  expiresAt: Date;
};

/**
 * Creates a real org with default SLA policies, its first admin (no password yet) and a
 * single-use setup link valid for 24 hours. This is how a production org starts, so it runs on
 * the system path (no org exists to scope to) and switches into the new org's RLS context for
 * everything inside it.
 */
export async function bootstrapOrg(input: BootstrapOrg, now = new Date()): Promise<BootstrappedOrg> {
  const parsed = ZBootstrapOrg.safeParse(input);
  if (!parsed.success) {
    throw new AppError("validation_failed", "invalid organization details", {
      issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  const data = parsed.data;
  const slug = data.slug ?? slugFromName(data.name);
  if (!slug) {
    throw new AppError("validation_failed", "cannot derive a slug from this name; give one with --slug", {
      issues: [{ path: "slug", message: "is required for this name" }],
    });
  }
  const adminEmail = data.adminEmail.trim().toLowerCase();
  const adminName = data.adminName ?? nameFromEmail(adminEmail);
  const expiresAt = new Date(now.getTime() + SETUP_LINK_HOURS * 3_600_000);
  const taken = () =>
    new AppError("conflict", `an organization with the slug "${slug}" already exists; choose another slug`, { slug });

  // As the system role: the org does not exist yet, so there is no tenant to enter before it does.
  const unsafeCreateOrg = () =>
    unsafeWithSystem(async (tx) => {
      const existing = await tx
        .select({ id: orgs.id })
        .from(orgs)
        .where(sql`lower(${orgs.slug}) = ${slug}`);
      if (existing.length > 0) throw taken();
      const org = one(await tx.insert(orgs).values({ name: data.name, slug, timezone: data.timezone }).returning());
      await enterTenant(tx, org.id);
      // The setup link is a sign-up link: printing one that cannot be redeemed helps nobody.
      if (!(await isFeatureEnabled(tx, org.id, "signup_tokens"))) {
        throw new AppError(
          "feature_disabled",
          "sign-up links (feature signup_tokens) are switched off by FEATURES_DISABLED or a global flag, so the setup link could not be used; switch them back on and bootstrap again",
          { feature: "signup_tokens" },
        );
      }
      const sla = defaultSlaRows(org.id, data.timezone);
      await tx.insert(calendars).values(sla.calendar);
      await tx.insert(slaPolicies).values(sla.policies);
      // Default time rules (solved → closed after 4 days): ordinary, editable rules (decision 042).
      await tx.insert(automations).values(defaultAutomationRows(org.id));
      const admin = one(
        await tx
          .insert(users)
          .values({ orgId: org.id, email: adminEmail, name: adminName, role: "admin", passwordHash: null })
          .returning({ id: users.id }),
      );
      const link = mintLinkToken(org.id);
      await tx
        .insert(oneTimeTokens)
        .values({ orgId: org.id, userId: admin.id, purpose: "setup", tokenHash: link.hash, expiresAt });
      // The first link of the org's audit chain: who was made admin, by the operator's CLI.
      await recordAudit(
        tx,
        { orgId: org.id, actorId: null, requestId: null },
        {
          action: "org.bootstrapped",
          entityType: "org",
          entityId: org.id,
          data: {
            name: org.name,
            slug,
            timezone: data.timezone,
            adminUserId: admin.id,
            adminEmail,
            setupLinkExpiresAt: expiresAt.toISOString(),
          },
        },
      );
      return {
        org: { id: org.id, name: org.name, slug: org.slug, timezone: org.timezone },
        admin: { id: admin.id, email: adminEmail, name: adminName },
        setupToken: link.token,
        setupUrl: setupUrl(link.token),
        expiresAt,
      };
    });
  try {
    return await unsafeCreateOrg();
  } catch (err) {
    // Two bootstraps racing for one slug: the unique index decides, with the same answer.
    if (!(err instanceof AppError) && toAppError(err).code === "conflict") throw taken();
    throw err;
  }
}

function nameFromEmail(email: string): string {
  const local = email.split("@")[0] ?? email;
  const words = local.split(/[._+-]+/).filter(Boolean);
  return words.length ? words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(" ") : "Admin";
}
