import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import type pg from "pg";
import * as schema from "../../../src/server/db/schema/index";
import { OWNER_TENANT_SQL, type Tx } from "../../../src/server/db/tenant";
import type { Scope } from "../../../src/server/core/scope";
import type { Principal } from "../../../src/server/auth/principal";

// Captures the SQL the app really sends: the domain function runs unchanged, in a tenant
// transaction set up exactly as withTenant() does, on a drizzle instance whose logger records
// every statement with its parameters.

export type Captured = { sql: string; params: unknown[] };

export function capturingDb(pool: pg.Pool) {
  let sink: Captured[] | null = null;
  const db = drizzle(pool, {
    schema,
    logger: { logQuery: (query: string, params: unknown[]) => void sink?.push({ sql: query, params }) },
  });
  /** Runs fn as the app would for `user`, returning its result and the statements it issued. */
  async function run<T>(user: Principal, fn: (tx: Tx) => Promise<T>): Promise<{ result: T; queries: Captured[] }> {
    const queries: Captured[] = [];
    const result = await db.transaction(async (tx) => {
      // withTenant()'s settings as OWNER_TENANT_SQL has them: this pool is the owner's, so the
      // signature is computed in SQL. The org id is bound wherever the text says $1.
      await tx.execute(
        sql.join(
          OWNER_TENANT_SQL.split("$1").map((part) => sql.raw(part)),
          sql`${user.orgId}`,
        ),
      );
      sink = queries;
      try {
        return await fn(tx);
      } finally {
        sink = null;
      }
    });
    return { result, queries };
  }
  return { run };
}

/** The scope the route wrapper gives a domain function, for calling domain functions directly. */
export function scopeFor(user: Principal, tx: Tx): Scope {
  return { requestId: randomUUID(), user, tx };
}
