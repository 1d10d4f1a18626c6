import "server-only";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit";
import { assertCan } from "../authz/permissions";
import { AppError } from "../core/errors";
import { readBodyLimited } from "../core/read-body";
import type { Scope } from "../core/scope";
import { emailAddresses, emailInboundSecrets } from "../db/schema/email";
import { withTenant } from "../db/tenant";
import { env } from "../env";
import { assertFeatureEnabled } from "../flags/flags";
import { baseAddress, normalizeAddress } from "./addresses";
import { storeInbound } from "./store-inbound";
import type { ApiRequest } from "../core/api-request";

// The provider webhook (issue 12 item 2, decision 039): POST /api/v1/email/inbound takes one raw
// RFC 5322 message (message/rfc822) for providers that deliver inbound mail over HTTP. It is
// authenticated by the org's own secret, sent as `Authorization: Bearer <secret>`; the secret
// names its org (bwi_<org id>_<256 random bits>), so the check runs in that org's tenant
// transaction and no lookup ever crosses orgs. Only the secret's SHA-256 is stored.

const PREFIX = "bwi_";
const TOKEN = /^bwi_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const hintOf = (secret: string) => `${PREFIX}…${secret.slice(-4)}`;

export const ZInboundSecret = z.object({
  configured: z.boolean(),
  hint: z.string().nullable(),
  createdAt: z.iso.datetime().nullable(),
});
export const ZNewInboundSecret = z.object({ secret: z.string(), hint: z.string(), createdAt: z.iso.datetime() });

export async function getInboundSecret(scope: Scope): Promise<z.infer<typeof ZInboundSecret>> {
  assertCan(scope.user, "org.admin");
  const [s] = await scope.tx
    .select({ hint: emailInboundSecrets.hint, createdAt: emailInboundSecrets.createdAt })
    .from(emailInboundSecrets)
    .where(eq(emailInboundSecrets.orgId, scope.user.orgId));
  return s
    ? { configured: true, hint: s.hint, createdAt: s.createdAt.toISOString() }
    : { configured: false, hint: null, createdAt: null };
}

/** A new secret, returned once in this answer: the previous one stops working as this commits. */
export async function rotateInboundSecret(scope: Scope): Promise<z.infer<typeof ZNewInboundSecret>> {
  assertCan(scope.user, "org.admin");
  const secret = `${PREFIX}${scope.user.orgId.replaceAll("-", "")}_${randomBytes(32).toString("base64url")}`;
  const hint = hintOf(secret);
  const [row] = await scope.tx
    .insert(emailInboundSecrets)
    .values({ orgId: scope.user.orgId, secretSha256: sha256(secret), hint })
    .onConflictDoUpdate({
      target: emailInboundSecrets.orgId,
      set: { secretSha256: sha256(secret), hint, createdAt: sql`now()` },
    })
    .returning({ createdAt: emailInboundSecrets.createdAt });
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    { action: "email.inbound_secret.rotated", entityType: "org", entityId: scope.user.orgId, data: { hint } },
  );
  return { secret, hint, createdAt: row!.createdAt.toISOString() };
}

/** Switches the webhook off for the org: no secret, every call 401. */
export async function revokeInboundSecret(scope: Scope): Promise<void> {
  assertCan(scope.user, "org.admin");
  const gone = await scope.tx
    .delete(emailInboundSecrets)
    .where(eq(emailInboundSecrets.orgId, scope.user.orgId))
    .returning({ hint: emailInboundSecrets.hint });
  if (!gone[0]) return;
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    {
      action: "email.inbound_secret.revoked",
      entityType: "org",
      entityId: scope.user.orgId,
      data: { hint: gone[0].hint },
    },
  );
}

const unauthenticated = () =>
  new AppError("unauthenticated", "send the org's inbound webhook secret as Authorization: Bearer <secret>");
const tooLarge = (max: number) =>
  new AppError("payload_too_large", `the message is larger than INBOUND_MAX_BYTES (${max} bytes)`);
const toUuid = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/** The addresses a message was delivered to, as its headers say (the provider's envelope recipient headers first). */
function headerRecipients(raw: Buffer): string[] {
  const head = raw.subarray(0, 256 * 1024).toString("latin1");
  const end = head.search(/\r?\n\r?\n/);
  const unfolded = (end < 0 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  const out: string[] = [];
  for (const name of ["delivered-to", "x-original-to", "envelope-to", "to", "cc"]) {
    for (const line of unfolded.split(/\r?\n/)) {
      const i = line.indexOf(":");
      if (i < 0 || line.slice(0, i).trim().toLowerCase() !== name) continue;
      for (const m of line.slice(i + 1).matchAll(/[^\s<>,;:"()]+@[^\s<>,;:"()]+/g)) {
        const a = normalizeAddress(m[0]);
        if (a) out.push(a);
      }
    }
  }
  return out;
}

export type InboundWebhookInput = {
  authorization: string | null;
  contentType: string | null;
  contentLength: string | null;
  recipient?: string;
  req: ApiRequest;
};

/**
 * One delivery: authenticate, check the switch and the size, decide which of the org's support
 * addresses it came in on, and commit it through storeInbound before answering. A redelivery of
 * the same message gives the same answer and stores nothing (storeInbound's dedupe key).
 */
export async function receiveInboundWebhook(input: InboundWebhookInput): Promise<{ id: string }> {
  const m = TOKEN.exec((input.authorization ?? "").replace(/^Bearer\s+/i, "").trim());
  if (!m || !/^Bearer\s/i.test(input.authorization ?? "")) throw unauthenticated();
  const orgId = toUuid(m[1]!);
  const secret = `${PREFIX}${m[1]}_${m[2]}`;
  const max = env().INBOUND_MAX_BYTES;
  const addresses = await withTenant(orgId, async (tx) => {
    const [s] = await tx
      .select({ h: emailInboundSecrets.secretSha256 })
      .from(emailInboundSecrets)
      .where(eq(emailInboundSecrets.orgId, orgId));
    if (!s || !timingSafeEqual(Buffer.from(s.h), Buffer.from(sha256(secret)))) throw unauthenticated();
    // Switched off: 503 before a byte of the body is read, and nothing stored (the provider retries).
    await assertFeatureEnabled(tx, orgId, "email_inbound");
    return (
      await tx
        .select({ address: emailAddresses.address })
        .from(emailAddresses)
        .where(and(eq(emailAddresses.orgId, orgId)))
    ).map((r) => r.address.toLowerCase());
  });
  const type = (input.contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "message/rfc822")
    throw new AppError("unsupported_media_type", "send the raw message as Content-Type: message/rfc822");
  if (Number(input.contentLength ?? "0") > max) throw tooLarge(max);
  const raw = await readBodyLimited(input.req, max, () => tooLarge(max));
  if (raw.length === 0 || !/\r?\n\r?\n|^[\x21-\x39\x3b-\x7e]+:/.test(raw.subarray(0, 1024).toString("latin1"))) {
    throw new AppError("validation_failed", "the body is not an RFC 5322 message", {
      issues: [{ in: "body", path: "", message: "expected a raw RFC 5322 message" }],
    });
  }
  const wanted = input.recipient ? [normalizeAddress(input.recipient) ?? ""] : headerRecipients(raw);
  const rcptTo = wanted.find((a) => addresses.includes(a) || addresses.includes(baseAddress(a)));
  if (!rcptTo) {
    const where = input.recipient ? "query" : "body";
    throw new AppError(
      "validation_failed",
      "the message is addressed to none of this org's support addresses (name one with ?recipient=)",
      {
        issues: [
          {
            in: where,
            path: input.recipient ? "recipient" : "",
            message: "is not one of this org's support addresses",
          },
        ],
      },
    );
  }
  const r = await storeInbound({ orgId, source: "webhook", raw, mailFrom: null, rcptTo });
  if (!r.stored)
    throw new AppError("feature_disabled", "email_inbound is switched off right now", { feature: "email_inbound" });
  return { id: r.inboundId };
}
