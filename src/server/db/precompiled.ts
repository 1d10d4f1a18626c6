import "server-only";
import type { Query } from "drizzle-orm";
import type { PgSession, SelectedFieldsOrdered } from "drizzle-orm/pg-core";
import type { Tx } from "./tenant";
import { db, type Db } from "./client";

type Compiled = { query: Query; fields: SelectedFieldsOrdered };

/**
 * A select that a hot request path runs on every request (the token lookup, the default ticket
 * list), built by drizzle once per process instead of per request, and sent as a named prepared
 * statement, so PostgreSQL parses and plans it once per connection (docs/decisions/065). The
 * values that change per request are `sql.placeholder(name)`s, filled by `run(tx, values)`; rows
 * are mapped exactly as drizzle maps that select's rows. Runs in the caller's transaction (its
 * role, org and row-level security), on the transaction's own connection.
 *
 * The statement's text never changes within a process, so a connection that has it prepared
 * keeps using it (pg tracks the names per connection); a schema change that alters its result
 * types needs the app restarted, as any deploy does. Statements whose shape varies per call (the
 * ticket writes) are built per call and named after their text instead (prepared.ts).
 */
export function precompiled<Row>(name: string, build: (db: Db) => { prepare(name: string): unknown }) {
  let compiled: Compiled | undefined;
  return (tx: Tx, values: Record<string, unknown>): Promise<Row[]> => {
    compiled ??= compile(name, build(db()).prepare(name));
    const session = tx._.session as unknown as PgSession;
    return session.prepareQuery(compiled.query, compiled.fields, name, true).execute(values) as Promise<Row[]>;
  };
}

/** The SQL text, its parameters (placeholders among them) and the ordered fields of a drizzle prepared select. */
function compile(name: string, prepared: unknown): Compiled {
  const p = prepared as { queryString?: unknown; params?: unknown; fields?: unknown };
  if (typeof p.queryString !== "string" || !Array.isArray(p.params) || !Array.isArray(p.fields))
    throw new Error(`precompiled ${name}: drizzle's prepared query has changed shape (drizzle-orm internals)`);
  return { query: { sql: p.queryString, params: p.params }, fields: p.fields as SelectedFieldsOrdered };
}
