import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { recoveryCodes } from "../db/schema/users";
import { base32Encode } from "./totp";

export const RECOVERY_CODE_COUNT = 10;

/**
 * 16 base32 characters (80 random bits) shown as xxxx-xxxx-xxxx-xxxx. With that much entropy an
 * unsalted-fast hash is enough (as for API tokens); the user id is mixed in so equal codes of two
 * users never share a hash.
 */
function newCode(): string {
  const raw = base32Encode(randomBytes(10)).toLowerCase();
  return raw.match(/.{4}/g)!.join("-");
}

/** Lenient about what people type: case, spaces and dashes do not matter. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, "");
}

export function looksLikeRecoveryCode(code: string): boolean {
  return /^[a-z2-7]{16}$/.test(normalizeRecoveryCode(code));
}

function hashCode(userId: string, code: string): string {
  return createHash("sha256")
    .update(`${userId}:${normalizeRecoveryCode(code)}`)
    .digest("hex");
}

/** Replaces the user's recovery codes with a fresh set; the codes are returned once. */
export async function replaceRecoveryCodes(tx: Tx, user: { orgId: string; userId: string }): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.userId));
  await tx
    .insert(recoveryCodes)
    .values(codes.map((c) => ({ orgId: user.orgId, userId: user.userId, codeHash: hashCode(user.userId, c) })));
  return codes;
}

/** Spends a recovery code. The conditional update is the claim: a code works exactly once. */
export async function consumeRecoveryCode(tx: Tx, userId: string, code: string): Promise<boolean> {
  if (!looksLikeRecoveryCode(code)) return false;
  const spent = await tx
    .update(recoveryCodes)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(recoveryCodes.userId, userId),
        eq(recoveryCodes.codeHash, hashCode(userId, code)),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .returning({ id: recoveryCodes.id });
  return spent.length === 1;
}

export async function remainingRecoveryCodes(tx: Tx, userId: string): Promise<number> {
  const [r] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return r?.n ?? 0;
}

export async function deleteRecoveryCodes(tx: Tx, userId: string): Promise<void> {
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
}
