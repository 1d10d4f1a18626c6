// npm run email -- mailbox <add|list|update|remove> --org <slug> …
// Connects an org's existing IMAP mailbox to Beacon from the server (an operator's way beside the
// admin API /api/v1/email/mailboxes): the same domain functions, run as one of the org's active
// admins, so the live check, the audit record and the rules are the API's. The password is read
// from stdin (never an argument: arguments show in `ps` and shell history).
//
//   printf '%s\n' "$IMAP_PASSWORD" | npm run email -- mailbox add --org acme --address support@acme.test \
//       --host imap.example.com [--port 993] [--tls tls|starttls|none] --user support@acme.test \
//       [--folder INBOX] [--after mark_seen|move --move-to Imported]
//   npm run email -- mailbox list --org acme [--json]
//   npm run email -- mailbox update --org acme --id <uuid> [--enabled true|false] [--password-stdin] [--folder …] …
//   npm run email -- mailbox remove --org acme --id <uuid>
//
// Exit codes: 0 done, 1 failure, 2 usage, 3 refused (the message names the field to fix).
import { randomUUID } from "node:crypto";
import { and, asc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import { boot } from "./lib/boot";
import { parseCli, usageError } from "./lib/cli";
import { AppError } from "../src/server/core/errors";
import type { Principal } from "../src/server/core/principal";
import type { Scope } from "../src/server/core/scope";
import { closeDb } from "../src/server/db/client";
import { emailAddresses } from "../src/server/db/schema/email";
import { orgs } from "../src/server/db/schema/orgs";
import { users } from "../src/server/db/schema/users";
import { unsafeWithSystem, withTenant } from "../src/server/db/tenant";
import {
  connectMailbox,
  disconnectMailbox,
  listMailboxes,
  updateMailbox,
  type ConnectMailbox,
  type MailboxView,
  type UpdateMailbox,
} from "../src/server/email/mailboxes";

const USAGE = `Usage:
  printf '%s\\n' "$PASSWORD" | npm run email -- mailbox add --org <slug> --address <support address> --host <host> [--port 993] [--tls tls|starttls|none] --user <user> [--folder INBOX] [--after mark_seen|move] [--move-to <folder>]
  npm run email -- mailbox list --org <slug> [--json]
  npm run email -- mailbox update --org <slug> --id <id> [--enabled true|false] [--password-stdin] [--host …] [--port …] [--tls …] [--user …] [--folder …] [--after …] [--move-to …]
  npm run email -- mailbox remove --org <slug> --id <id>`;

const parsed = parseCli(USAGE, {
  options: {
    org: { type: "string" },
    id: { type: "string" },
    address: { type: "string" },
    host: { type: "string" },
    port: { type: "string" },
    tls: { type: "string" },
    user: { type: "string" },
    folder: { type: "string" },
    after: { type: "string" },
    "move-to": { type: "string" },
    enabled: { type: "string" },
    "password-stdin": { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
  strict: true,
  allowPositionals: true,
});
const [noun, verb, ...extra] = parsed.positionals;
const o = parsed.values;
if (noun !== "mailbox" || !verb || !["add", "list", "update", "remove"].includes(verb) || extra.length)
  usageError(USAGE, noun ? `unknown command: ${parsed.positionals.join(" ")}` : "no command given");
if (!o.org) usageError(USAGE, "--org <slug> is required");
if ((verb === "update" || verb === "remove") && !o.id) usageError(USAGE, "--id is required");

async function readStdinLine(): Promise<string> {
  if (process.stdin.isTTY)
    usageError(USAGE, "pipe the password on stdin (printf '%s\\n' \"$PASSWORD\" | npm run email -- …)");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
}

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const bool = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v === "true"
      ? true
      : v === "false"
        ? false
        : usageError(USAGE, "--enabled takes true or false");
const show = (m: MailboxView) =>
  `${m.id}  ${m.username}@${m.host}:${m.port} (${m.tlsMode}) folder ${m.folder} → ${m.address}, ${m.afterImport === "move" ? `move to ${m.moveTo}` : "mark seen"}, ${m.enabled ? "enabled" : "disabled"}; last fetched ${m.lastFetchedAt ?? "never"}${m.lastError ? `; last error (${m.consecutiveFailures} in a row) at ${m.lastErrorAt}: ${m.lastError}` : ""}`;

const booted = await boot({ quiet: true, needSecret: true });
let code = 0;
try {
  const admin = await unsafeWithSystem(async (tx) => {
    const [org] = await tx
      .select({ id: orgs.id })
      .from(orgs)
      .where(sql`lower(${orgs.slug}) = lower(${o.org!})`);
    if (!org) return null;
    // The org's longest-standing active admin acts (audited as them).
    const [u] = await tx
      .select()
      .from(users)
      .where(
        and(eq(users.orgId, org.id), eq(users.role, "admin"), isNull(users.blockedAt), isNotNull(users.passwordHash)),
      )
      .orderBy(asc(users.createdAt))
      .limit(1);
    return u ?? null;
  });
  if (!admin) throw new AppError("not_found", `no org "${o.org}" with an active admin`);
  const principal: Principal = {
    userId: admin.id,
    orgId: admin.orgId,
    role: admin.role,
    email: admin.email,
    name: admin.name,
    mustChangePassword: false,
    sessionVersion: admin.sessionVersion,
    via: "session",
  };
  const as = <T>(fn: (s: Scope) => Promise<T>) =>
    withTenant(admin.orgId, (tx) => fn({ tx, user: principal, requestId: `cli-${randomUUID()}` }));
  const common = {
    host: o.host,
    port: num(o.port),
    tlsMode: o.tls as "tls" | undefined,
    username: o.user,
    folder: o.folder,
    afterImport: o.after as "mark_seen" | undefined,
    moveTo: o["move-to"],
  };
  const defined = <T extends Record<string, unknown>>(x: T) =>
    Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Partial<T>;

  if (verb === "list") {
    const { data } = await as(listMailboxes);
    if (o.json) console.log(JSON.stringify(data, null, 2));
    else console.log(data.length ? data.map(show).join("\n") : "no mailboxes connected");
  } else if (verb === "add") {
    if (!o.address) usageError(USAGE, "--address <support address> is required");
    const addressId = await withTenant(
      admin.orgId,
      async (tx) =>
        (
          await tx
            .select({ id: emailAddresses.id })
            .from(emailAddresses)
            .where(
              and(eq(emailAddresses.orgId, admin.orgId), sql`lower(${emailAddresses.address}) = lower(${o.address!})`),
            )
        )[0]?.id,
    );
    if (!addressId)
      throw new AppError("validation_failed", `address: ${o.address} is not a support address of this org`);
    const password = await readStdinLine();
    // The domain function validates every field (a bad --tls or --port is refused naming it).
    const input = {
      ...defined(common),
      addressId,
      host: o.host ?? "",
      username: o.user ?? "",
      password,
    } as ConnectMailbox;
    const m = await as((s) => connectMailbox(s, input));
    console.log(o.json ? JSON.stringify(m) : `connected: ${show(m)}`);
  } else if (verb === "update") {
    const password = o["password-stdin"] ? await readStdinLine() : undefined;
    const input = { id: o.id!, ...defined({ ...common, enabled: bool(o.enabled), password }) } as UpdateMailbox;
    const m = await as((s) => updateMailbox(s, input));
    console.log(o.json ? JSON.stringify(m) : `updated: ${show(m)}`);
  } else {
    await as((s) => disconnectMailbox(s, { id: o.id! }));
    console.log(`removed mailbox ${o.id}`);
  }
} catch (err) {
  if (err instanceof AppError) {
    console.error(`email: ${err.message}`);
    code = err.status >= 500 ? 1 : 3;
  } else {
    console.error(`email: ${err instanceof Error ? err.message : String(err)}`);
    code = 1;
  }
} finally {
  await closeDb();
  await booted.shutdown();
}
process.exit(code);
