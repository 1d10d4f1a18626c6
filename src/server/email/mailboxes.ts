import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { open, seal } from "../auth/secret-box";
import { recordAudit } from "../audit/record-audit";
import { AppError, notFound } from "../core/errors";
import type { Scope } from "../core/scope";
import { emailAddresses, emailMailboxes } from "../db/schema/email";
import { assertCan } from "../authz/permissions";
import { closeImap, ImapFailure, openImap, selectFolder, type ImapAccount } from "./imap-client";

// An org's IMAP mailboxes (issue 12 item 2, decision 034): an admin connects an existing mailbox,
// the worker's fetcher (imap-fetcher.ts) takes its new mail into the one inbound pipeline. A
// mailbox is saved only after a live login and SELECT of its folders worked, so a typo is a 400
// naming the field, not a failure the admin discovers days later. The password is sealed at rest
// and never returned.

export const IMAP_PASSWORD_PURPOSE = "imap-password";

const ZFolder = z.string().trim().min(1).max(255);
const fields = {
  /** The org's support address this mailbox delivers for: it decides the "came in on" address. */
  addressId: z.uuid(),
  host: z.string().trim().min(1).max(253),
  port: z.number().int().min(1).max(65_535),
  tlsMode: z.enum(["tls", "starttls", "none"]),
  username: z.string().min(1).max(320),
  password: z.string().min(1).max(1024),
  folder: ZFolder,
  afterImport: z.enum(["mark_seen", "move"]),
  moveTo: ZFolder.nullable(),
  enabled: z.boolean(),
};
export const ZConnectMailbox = z.strictObject({
  ...fields,
  port: fields.port.default(993),
  tlsMode: fields.tlsMode.default("tls"),
  folder: fields.folder.default("INBOX"),
  afterImport: fields.afterImport.default("mark_seen"),
  moveTo: fields.moveTo.optional(),
  enabled: fields.enabled.default(true),
});
export type ConnectMailbox = z.input<typeof ZConnectMailbox>;
export const ZUpdateMailbox = z.strictObject({ id: z.uuid(), ...z.strictObject(fields).partial().shape });
export type UpdateMailbox = z.input<typeof ZUpdateMailbox>;

export type MailboxView = {
  id: string;
  addressId: string;
  address: string;
  host: string;
  port: number;
  tlsMode: "tls" | "starttls" | "none";
  username: string;
  folder: string;
  afterImport: "mark_seen" | "move";
  moveTo: string | null;
  enabled: boolean;
  uidValidity: number | null;
  lastUid: number;
  lastFetchedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  consecutiveFailures: number;
  createdAt: string;
  updatedAt: string;
};

const invalid = (path: string, message: string) =>
  new AppError("validation_failed", `${path}: ${message}`, { issues: [{ in: "body", path, message }] });

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ in: "body", path: i.path.join("."), message: i.message }));
  throw new AppError(
    "validation_failed",
    `invalid mailbox: ${issues.map((i) => `${i.path || "(body)"} ${i.message}`).join("; ")}`,
    { issues },
  );
}

function checkAfterImport(m: { afterImport: string; moveTo?: string | null; folder: string }) {
  if (m.afterImport === "move" && !m.moveTo) throw invalid("moveTo", "is required when afterImport is move");
  if (m.afterImport === "move" && m.moveTo === m.folder) throw invalid("moveTo", "must differ from folder");
}

/** A live login and SELECT (and the move-to folder), with the failure named by the field to fix. */
async function verify(account: ImapAccount, folder: string, moveTo: string | null): Promise<void> {
  let client;
  try {
    client = await openImap(account, { timeoutMs: 10_000 });
    await selectFolder(client, folder);
    if (moveTo)
      await client
        .status(moveTo, { messages: true })
        .catch(() =>
          Promise.reject(new ImapFailure("folder", "moveTo", `the server has no folder "${moveTo}" for this user`)),
        );
  } catch (err) {
    if (err instanceof ImapFailure) throw invalid(err.field, err.message);
    throw err;
  } finally {
    if (client) await closeImap(client);
  }
}

const columns = {
  id: emailMailboxes.id,
  addressId: emailMailboxes.addressId,
  address: emailAddresses.address,
  host: emailMailboxes.host,
  port: emailMailboxes.port,
  tlsMode: emailMailboxes.tlsMode,
  username: emailMailboxes.username,
  folder: emailMailboxes.folder,
  afterImport: emailMailboxes.afterImport,
  moveTo: emailMailboxes.moveTo,
  enabled: emailMailboxes.enabled,
  uidValidity: emailMailboxes.uidValidity,
  lastUid: emailMailboxes.lastUid,
  lastFetchedAt: emailMailboxes.lastFetchedAt,
  lastError: emailMailboxes.lastError,
  lastErrorAt: emailMailboxes.lastErrorAt,
  consecutiveFailures: emailMailboxes.consecutiveFailures,
  createdAt: emailMailboxes.createdAt,
  updatedAt: emailMailboxes.updatedAt,
};
type Row = Omit<MailboxView, "lastFetchedAt" | "lastErrorAt" | "createdAt" | "updatedAt"> & {
  lastFetchedAt: Date | null;
  lastErrorAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const view = (r: Row): MailboxView => ({
  ...r,
  lastFetchedAt: iso(r.lastFetchedAt),
  lastErrorAt: iso(r.lastErrorAt),
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

async function load(scope: Scope, id: string): Promise<(Row & { passwordSealed: string }) | null> {
  const [r] = await scope.tx
    .select({ ...columns, passwordSealed: emailMailboxes.passwordSealed })
    .from(emailMailboxes)
    .innerJoin(
      emailAddresses,
      and(eq(emailAddresses.orgId, emailMailboxes.orgId), eq(emailAddresses.id, emailMailboxes.addressId)),
    )
    .where(and(eq(emailMailboxes.orgId, scope.user.orgId), eq(emailMailboxes.id, id)));
  return r ?? null;
}

async function assertAddress(scope: Scope, addressId: string): Promise<void> {
  const [a] = await scope.tx
    .select({ id: emailAddresses.id })
    .from(emailAddresses)
    .where(and(eq(emailAddresses.orgId, scope.user.orgId), eq(emailAddresses.id, addressId)));
  if (!a) throw invalid("addressId", "is not one of this org's support addresses");
}

const actor = (scope: Scope) => ({ orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId });
const duplicate = () => new AppError("conflict", "this mailbox (host, port, user and folder) is already connected");

export async function connectMailbox(scope: Scope, input: ConnectMailbox): Promise<MailboxView> {
  assertCan(scope.user, "org.admin");
  const m = parse(ZConnectMailbox, input);
  checkAfterImport(m);
  await assertAddress(scope, m.addressId);
  await verify(
    { host: m.host, port: m.port, tlsMode: m.tlsMode, username: m.username, password: m.password },
    m.folder,
    m.afterImport === "move" ? (m.moveTo ?? null) : null,
  );
  const [created] = await scope.tx
    .insert(emailMailboxes)
    .values({
      orgId: scope.user.orgId,
      addressId: m.addressId,
      host: m.host,
      port: m.port,
      tlsMode: m.tlsMode,
      username: m.username,
      passwordSealed: seal(m.password, IMAP_PASSWORD_PURPOSE),
      folder: m.folder,
      afterImport: m.afterImport,
      moveTo: m.afterImport === "move" ? (m.moveTo ?? null) : null,
      enabled: m.enabled,
    })
    .onConflictDoNothing()
    .returning({ id: emailMailboxes.id });
  if (!created) throw duplicate();
  await recordAudit(scope.tx, actor(scope), {
    action: "email.mailbox.connected",
    entityType: "email_mailbox",
    entityId: created.id,
    data: {
      host: m.host,
      port: m.port,
      tlsMode: m.tlsMode,
      username: m.username,
      folder: m.folder,
      afterImport: m.afterImport,
    },
  });
  return view((await load(scope, created.id))!);
}

export async function listMailboxes(scope: Scope): Promise<{ data: MailboxView[] }> {
  assertCan(scope.user, "org.admin");
  const rows = await scope.tx
    .select(columns)
    .from(emailMailboxes)
    .innerJoin(
      emailAddresses,
      and(eq(emailAddresses.orgId, emailMailboxes.orgId), eq(emailAddresses.id, emailMailboxes.addressId)),
    )
    .where(eq(emailMailboxes.orgId, scope.user.orgId))
    .orderBy(emailMailboxes.createdAt, emailMailboxes.id);
  return { data: rows.map(view) };
}

const CONNECTION_FIELDS = [
  "host",
  "port",
  "tlsMode",
  "username",
  "password",
  "folder",
  "afterImport",
  "moveTo",
] as const;
/** A change of these makes it another mailbox (or folder): its UIDs mean nothing here any more. */
const IDENTITY_FIELDS = ["host", "port", "username", "folder"] as const;

export async function updateMailbox(scope: Scope, input: UpdateMailbox): Promise<MailboxView> {
  assertCan(scope.user, "org.admin");
  const u = parse(ZUpdateMailbox, input);
  const cur = await load(scope, u.id);
  if (!cur) throw notFound("mailbox");
  const next = { ...cur, ...Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined)) } as Row & {
    password?: string;
  };
  if (next.afterImport !== "move") next.moveTo = null;
  checkAfterImport(next);
  if (u.addressId !== undefined) await assertAddress(scope, u.addressId);
  const reconnect = CONNECTION_FIELDS.some((f) => u[f] !== undefined && u[f] !== (cur as Record<string, unknown>)[f]);
  if (reconnect) {
    const password = u.password ?? open(cur.passwordSealed, IMAP_PASSWORD_PURPOSE);
    if (password === null)
      throw invalid("password", "the stored password can no longer be read (NEXTAUTH_SECRET changed?); send it again");
    await verify(
      { host: next.host, port: next.port, tlsMode: next.tlsMode, username: next.username, password },
      next.folder,
      next.moveTo,
    );
  }
  const restart = IDENTITY_FIELDS.some((f) => u[f] !== undefined && u[f] !== cur[f]);
  const updated = await scope.tx
    .update(emailMailboxes)
    .set({
      addressId: next.addressId,
      host: next.host,
      port: next.port,
      tlsMode: next.tlsMode,
      username: next.username,
      folder: next.folder,
      afterImport: next.afterImport,
      moveTo: next.moveTo,
      enabled: next.enabled,
      ...(u.password !== undefined ? { passwordSealed: seal(u.password, IMAP_PASSWORD_PURPOSE) } : {}),
      ...(restart ? { uidValidity: null, lastUid: 0 } : {}),
      // A change is a fresh start for the fetcher: no back-off left over from the old settings.
      consecutiveFailures: 0,
      nextAttemptAt: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(emailMailboxes.orgId, scope.user.orgId), eq(emailMailboxes.id, u.id)))
    .returning({ id: emailMailboxes.id })
    .catch((err: unknown) => {
      if (
        (err as { code?: string; cause?: { code?: string } }).code === "23505" ||
        (err as { cause?: { code?: string } }).cause?.code === "23505"
      )
        throw duplicate();
      throw err;
    });
  if (!updated[0]) throw notFound("mailbox");
  const changed = Object.keys(u).filter((k) => k !== "id" && k !== "password");
  await recordAudit(scope.tx, actor(scope), {
    action: "email.mailbox.updated",
    entityType: "email_mailbox",
    entityId: u.id,
    data: { changed, passwordChanged: u.password !== undefined, restarted: restart },
  });
  return view((await load(scope, u.id))!);
}

export async function disconnectMailbox(scope: Scope, input: { id: string }): Promise<void> {
  assertCan(scope.user, "org.admin");
  const { id } = parse(z.strictObject({ id: z.uuid() }), input);
  const gone = await scope.tx
    .delete(emailMailboxes)
    .where(and(eq(emailMailboxes.orgId, scope.user.orgId), eq(emailMailboxes.id, id)))
    .returning({ host: emailMailboxes.host, username: emailMailboxes.username });
  if (!gone[0]) throw notFound("mailbox");
  await recordAudit(scope.tx, actor(scope), {
    action: "email.mailbox.disconnected",
    entityType: "email_mailbox",
    entityId: id,
    data: { host: gone[0].host, username: gone[0].username },
  });
}
