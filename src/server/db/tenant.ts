import "server-only";
import { sql } from "drizzle-orm";
import type { PgTransaction } from "drizzle-orm/pg-core";
import type { NodePgQueryResultHKT } from "drizzle-orm/node-postgres";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { db, webDb } from "./client";
import type * as schema from "./schema/index";

export type Tx = PgTransaction<NodePgQueryResultHKT, typeof schema, ExtractTablesWithRelations<typeof schema>>;

/**
 * Runs fn in a transaction as `beacon_app` with `app.org_id` set: row-level security then hides
 * every other org's rows and refuses writes into them, whatever the query forgets.
 * Both settings are transaction-local (set_config(..., true)), so nothing leaks to the next
 * user of the pooled connection.
 */
export async function withTenant<T>(orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  // The request pool's login role is a member of beacon_app only (docs/decisions/027).
  return webDb().transaction(async (tx) => {
    await tx.execute(sql`select set_config('role', 'beacon_app', true), set_config('app.org_id', ${orgId}, true)`);
    return fn(tx);
  });
}

/**
 * The one cross-org path (docs/decisions/003-row-level-security.md): sign-in's lookup by email,
 * jobs that scan every org, seed and bootstrap. Callers are named `unsafe…`.
 */
export async function unsafeWithSystem<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db().transaction(async (tx) => {
    await tx.execute(sql`select set_config('role', 'beacon_system', true)`);
    return fn(tx);
  });
}

/** Switches an open transaction into one org's context (after a system-level lookup). */
export async function enterTenant(tx: Tx, orgId: string): Promise<void> {
  await tx.execute(sql`select set_config('role', 'beacon_app', true), set_config('app.org_id', ${orgId}, true)`);
}
