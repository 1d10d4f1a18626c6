import "server-only";
import { sql, type SQL } from "drizzle-orm";
import type { PgTransaction } from "drizzle-orm/pg-core";
import { NodePgSession, NodePgTransaction, type NodePgQueryResultHKT } from "drizzle-orm/node-postgres";
import type pg from "pg";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { db, orgSignature, webDb, type Db } from "./client";
import { runAfterCommit, takeAfterCommit } from "./after-commit";
import type * as schema from "./schema/index";

export type Tx = PgTransaction<NodePgQueryResultHKT, typeof schema, ExtractTablesWithRelations<typeof schema>>;

/**
 * Runs fn in a transaction as `beacon_app` with `app.org_id` set: row-level security then hides
 * every other org's rows and refuses writes into them, whatever the query forgets.
 * The settings are transaction-local (set_config(..., true)), so nothing leaks to the next
 * user of the pooled connection.
 */
export async function withTenant<T>(orgId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  // The request pool's login role is a member of beacon_app only (docs/decisions/027). The
  // signature is looked up before the transaction takes a connection.
  const sig = await orgSignature(orgId);
  let hooks: (() => void)[] = [];
  const out = await transaction(webDb(), openTenant(orgId, sig), async (tx) => {
    const r = await fn(tx);
    hooks = takeAfterCommit(tx);
    return r;
  });
  runAfterCommit(hooks);
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * How a tenant transaction opens. Every request runs it, so `begin` and the tenant settings go
 * to PostgreSQL in one round trip (one simple-protocol message holding both statements, docs/
 * decisions/065): the org id and its signature are written into the text as literals, which
 * only a UUID and 64 hex digits may be (checked here; anything else takes the two-statement
 * form with bound parameters).
 */
function openTenant(orgId: string, sig: string): SQL[] {
  if (UUID.test(orgId) && HEX64.test(sig)) {
    return [
      sql.raw(
        `begin; select set_config('role', 'beacon_app', true), set_config('app.org_id', '${orgId}', true), set_config('app.org_sig', '${sig}', true)`,
      ),
    ];
  }
  return [sql`begin`, tenantSettings(orgId, sig)];
}

/**
 * drizzle's transaction (NodePgSession.transaction: a pool client, a NodePgTransaction on it,
 * commit, or rollback on a throw, release) opened with `opening` instead of a bare `begin`, so
 * the opening statements share its round trip. Statements go through the transaction as
 * drizzle sends them, so a failure is the same DrizzleQueryError with the driver's error as cause.
 */
async function transaction<T>(database: Db, opening: SQL[], fn: (tx: Tx) => Promise<T>): Promise<T> {
  const parent = database._.session as unknown as {
    client: pg.Pool;
    dialect: ConstructorParameters<typeof NodePgTransaction>[0];
    schema: ConstructorParameters<typeof NodePgTransaction>[2];
    options: ConstructorParameters<typeof NodePgSession>[3];
  };
  const client = await parent.client.connect();
  const session = new NodePgSession(client, parent.dialect, parent.schema, parent.options);
  const tx = new NodePgTransaction(parent.dialect, session, parent.schema) as unknown as Tx;
  // A connection whose rollback failed is not handed back to the pool (release with an error
  // ends it): it may still be inside the failed transaction.
  let unusable: Error | undefined;
  try {
    for (const statement of opening) await tx.execute(statement);
    const result = await fn(tx);
    await tx.execute(sql`commit`);
    return result;
  } catch (error) {
    try {
      await tx.execute(sql`rollback`);
    } catch (rollbackError) {
      unusable = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      throw rollbackError;
    }
    throw error;
  } finally {
    client.release(unusable);
  }
}

/** The one statement that enters an org: role, org and the org's signature (decision 027), transaction-local. */
function tenantSettings(orgId: string, sig: string): SQL {
  return sql`select set_config('role', 'beacon_app', true), set_config('app.org_id', ${orgId}, true), set_config('app.org_sig', ${sig}, true)`;
}

/**
 * The one cross-org path (docs/decisions/003-row-level-security.md): sign-in's lookup by email,
 * jobs that scan every org, seed and bootstrap. Callers are named `unsafe…`.
 */
export async function unsafeWithSystem<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
  let hooks: (() => void)[] = [];
  const out = await db().transaction(async (tx) => {
    await tx.execute(sql`select set_config('role', 'beacon_system', true)`);
    const r = await fn(tx);
    hooks = takeAfterCommit(tx);
    return r;
  });
  runAfterCommit(hooks);
  return out;
}

/** Switches an open transaction into one org's context (after a system-level lookup). */
export async function enterTenant(tx: Tx, orgId: string): Promise<void> {
  await tx.execute(tenantSettings(orgId, await orgSignature(orgId)));
}

/**
 * withTenant's settings for a connection of the OWNER (bench scripts that replay requests on a
 * raw pg client): the owner may read the key, so the signature is computed in SQL, before the
 * role switch ($1 = the org id). Never for the request pool, which cannot read the key.
 */
export const OWNER_TENANT_SQL =
  "select set_config('app.org_sig', (select encode(sha256(k.opad || sha256(k.ipad || convert_to($1::text, 'UTF8'))), 'hex') from beacon_private.org_key k), true), " +
  "set_config('app.org_id', $1::text, true), set_config('role', 'beacon_app', true)";
