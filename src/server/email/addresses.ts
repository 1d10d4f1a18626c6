import "server-only";
import { and, asc, desc, eq, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit";
import { assertCan } from "../authz/permissions";
import { AppError, notFound } from "../core/errors";
import type { Scope } from "../core/scope";
import { emailAddresses } from "../db/schema/email";
import { unsafeWithSystem, type Tx } from "../db/tenant";

/** "Support <Support@Acme.test>" or "support@acme.test " → "support@acme.test"; null when it is no address. */
export function normalizeAddress(raw: string | undefined | null): string | null {
  if (!raw) return null;
  const m = /<([^<>]*)>\s*$/.exec(raw);
  const a = (m ? m[1]! : raw).trim().toLowerCase();
  return /^[^\s@<>]+@[^\s@<>]+$/.test(a) && a.length <= 320 ? a : null;
}

/** A plus-address reaches the address it extends: `support+<reply token>@acme.test` → `support@acme.test` (decision 031). */
export const baseAddress = (address: string): string => address.replace(/^([^@+]+)\+[^@]*@/, "$1@");

export type SupportAddress = { orgId: string; address: string; displayName: string };

/**
 * The org a recipient address belongs to: the intake's one cross-org lookup (the recipient is what
 * decides the org, SPEC §11), hence the system path.
 */
export async function unsafeFindSupportAddress(address: string, tx?: Tx): Promise<SupportAddress | null> {
  const base = baseAddress(address.toLowerCase());
  const run = async (t: Tx) => {
    const [row] = await t
      .select({ orgId: emailAddresses.orgId, address: emailAddresses.address, displayName: emailAddresses.displayName })
      .from(emailAddresses)
      .where(sql`lower(${emailAddresses.address}) in (${address.toLowerCase()}, ${base})`)
      .orderBy(sql`lower(${emailAddresses.address}) = ${address.toLowerCase()} desc`)
      .limit(1);
    return row ?? null;
  };
  return tx ? run(tx) : unsafeWithSystem(run);
}

// Managing an org's support addresses (issue 12 item 1): admins only, audited. An address is unique
// across all orgs (the recipient decides the org), so taking one another org has is a 409 that
// says only "in use": which org has it is not the caller's to learn.

const ZAddressValue = z
  .string()
  .trim()
  .min(3)
  .max(320)
  .transform((s, ctx) => {
    const a = normalizeAddress(s);
    if (!a || a !== s.toLowerCase() || a.includes("+")) {
      ctx.addIssue({
        code: "custom",
        message: "must be a plain email address (name@domain, no +tag, no display name)",
      });
      return z.NEVER;
    }
    return a;
  });
export const ZCreateAddress = z.strictObject({
  address: ZAddressValue,
  displayName: z.string().trim().max(200).default(""),
  isDefault: z.boolean().default(false),
});
export type CreateAddress = z.input<typeof ZCreateAddress>;
export const ZUpdateAddress = z.strictObject({
  address: ZAddressValue.optional(),
  displayName: z.string().trim().max(200).optional(),
  isDefault: z.boolean().optional(),
});
export type UpdateAddress = z.input<typeof ZUpdateAddress>;
export const ZAddress = z.object({
  id: z.uuid(),
  address: z.string(),
  displayName: z.string(),
  isDefault: z.boolean(),
  mailboxes: z.number().int(),
  createdAt: z.iso.datetime(),
});
export type AddressView = z.infer<typeof ZAddress>;

function parseBody<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ in: "body", path: i.path.join("."), message: i.message }));
  throw new AppError(
    "validation_failed",
    `invalid support address: ${issues.map((i) => `${i.path || "(body)"} ${i.message}`).join("; ")}`,
    { issues },
  );
}

const inUse = () =>
  new AppError("conflict", "address: this address is already in use", {
    issues: [{ in: "body", path: "address", message: "is already in use" }],
  });
const isUniqueViolation = (err: unknown) => {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.code === "23505" || e.cause?.code === "23505";
};
const auditActor = (scope: Scope) => ({
  orgId: scope.user.orgId,
  actorId: scope.user.userId,
  requestId: scope.requestId,
});

async function loadAddresses(scope: Scope, id?: string): Promise<AddressView[]> {
  const rows = await scope.tx
    .select({
      id: emailAddresses.id,
      address: emailAddresses.address,
      displayName: emailAddresses.displayName,
      isDefault: emailAddresses.isDefault,
      createdAt: emailAddresses.createdAt,
      mailboxes: sql<number>`(select count(*)::int from email_mailboxes m where m.org_id = email_addresses.org_id and m.address_id = email_addresses.id)`,
    })
    .from(emailAddresses)
    .where(and(eq(emailAddresses.orgId, scope.user.orgId), id ? eq(emailAddresses.id, id) : undefined))
    .orderBy(desc(emailAddresses.isDefault), asc(emailAddresses.createdAt), asc(emailAddresses.id));
  return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
}

/** At most one default per org: making one the default takes the flag from the others. */
async function clearOtherDefaults(scope: Scope, keep: string): Promise<void> {
  await scope.tx
    .update(emailAddresses)
    .set({ isDefault: false })
    .where(
      and(eq(emailAddresses.orgId, scope.user.orgId), eq(emailAddresses.isDefault, true), ne(emailAddresses.id, keep)),
    );
}

export async function listAddresses(scope: Scope): Promise<{ data: AddressView[] }> {
  assertCan(scope.user, "org.admin");
  return { data: await loadAddresses(scope) };
}

export async function getAddress(scope: Scope, input: { id: string }): Promise<AddressView> {
  assertCan(scope.user, "org.admin");
  const [a] = await loadAddresses(scope, input.id);
  if (!a) throw notFound("support address");
  return a;
}

export async function createAddress(scope: Scope, input: CreateAddress): Promise<AddressView> {
  assertCan(scope.user, "org.admin");
  const a = parseBody(ZCreateAddress, input);
  // The org's first address is its default whatever was asked: replies need one to come from.
  const [{ n }] = (
    await scope.tx.execute<{ n: number }>(
      sql`select count(*)::int as n from email_addresses where org_id = ${scope.user.orgId}`,
    )
  ).rows as [{ n: number }];
  const isDefault = a.isDefault || n === 0;
  // A savepoint, so a unique violation leaves the request's transaction usable for the 409.
  const created = await scope.tx
    .transaction((sp) =>
      sp
        .insert(emailAddresses)
        .values({ orgId: scope.user.orgId, address: a.address, displayName: a.displayName, isDefault })
        .returning({ id: emailAddresses.id }),
    )
    .catch((err: unknown) => {
      throw isUniqueViolation(err) ? inUse() : err;
    });
  const id = created[0]!.id;
  if (isDefault) await clearOtherDefaults(scope, id);
  await recordAudit(scope.tx, auditActor(scope), {
    action: "email.address.created",
    entityType: "email_address",
    entityId: id,
    data: { address: a.address, displayName: a.displayName, isDefault },
  });
  return (await loadAddresses(scope, id))[0]!;
}

export async function updateAddress(scope: Scope, input: UpdateAddress & { id: string }): Promise<AddressView> {
  assertCan(scope.user, "org.admin");
  const { id, ...rest } = input;
  const u = parseBody(ZUpdateAddress, rest);
  const [cur] = await loadAddresses(scope, id);
  if (!cur) throw notFound("support address");
  if (u.isDefault === false && cur.isDefault) {
    throw new AppError("validation_failed", "isDefault: make another address the default instead", {
      issues: [{ in: "body", path: "isDefault", message: "make another address the default instead" }],
    });
  }
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const k of ["address", "displayName", "isDefault"] as const) {
    if (u[k] !== undefined && u[k] !== cur[k]) changes[k] = { from: cur[k], to: u[k] };
  }
  if (Object.keys(changes).length === 0) return cur;
  await scope.tx
    .transaction((sp) =>
      sp
        .update(emailAddresses)
        .set({ address: u.address, displayName: u.displayName, isDefault: u.isDefault })
        .where(and(eq(emailAddresses.orgId, scope.user.orgId), eq(emailAddresses.id, id))),
    )
    .catch((err: unknown) => {
      throw isUniqueViolation(err) ? inUse() : err;
    });
  if (u.isDefault) await clearOtherDefaults(scope, id);
  await recordAudit(scope.tx, auditActor(scope), {
    action: "email.address.updated",
    entityType: "email_address",
    entityId: id,
    data: { changes },
  });
  return (await loadAddresses(scope, id))[0]!;
}

/**
 * Removing an address stops intake for it at once (a recipient that is no address of any org is
 * refused). One a mailbox still delivers for is a 409: disconnect the mailbox first, so removing an
 * address never silently removes a mailbox with it. The default goes to the oldest one left.
 */
export async function deleteAddress(scope: Scope, input: { id: string }): Promise<void> {
  assertCan(scope.user, "org.admin");
  const [cur] = await loadAddresses(scope, input.id);
  if (!cur) throw notFound("support address");
  if (cur.mailboxes > 0)
    throw new AppError("conflict", "an IMAP mailbox delivers for this address: disconnect it first");
  await scope.tx
    .delete(emailAddresses)
    .where(and(eq(emailAddresses.orgId, scope.user.orgId), eq(emailAddresses.id, input.id)));
  if (cur.isDefault) {
    const [next] = await scope.tx
      .select({ id: emailAddresses.id })
      .from(emailAddresses)
      .where(eq(emailAddresses.orgId, scope.user.orgId))
      .orderBy(asc(emailAddresses.createdAt), asc(emailAddresses.id))
      .limit(1);
    if (next)
      await scope.tx
        .update(emailAddresses)
        .set({ isDefault: true })
        .where(and(eq(emailAddresses.orgId, scope.user.orgId), eq(emailAddresses.id, next.id)));
  }
  await recordAudit(scope.tx, auditActor(scope), {
    action: "email.address.deleted",
    entityType: "email_address",
    entityId: input.id,
    data: { address: cur.address },
  });
}
