import "server-only";
import { createHash } from "node:crypto";
import { PgDialect } from "drizzle-orm/pg-core";
import type { SQL } from "drizzle-orm";
import type { QueryResult, QueryResultRow } from "pg";
import type { Tx } from "./tenant";

// Named (server-side prepared) statements for the hot writes (issue 16, decision 064). A statement
// sent by name is parsed, analysed and planned once per connection and then only bound and run:
// for the one-statement ticket create and reply (a dozen CTEs, 50–80 parameters) that work cost
// PostgreSQL as much CPU as running them. The name is derived from the statement's text, so a
// statement of another shape (another set of CTEs) is another name, and the same text on every
// connection is the same name. pg keeps each connection's parsed names and sends the text only
// the first time. A transaction-mode pooler in front of PostgreSQL must keep prepared statements
// per server connection (PgBouncer ≥ 1.21 with max_prepared_statements), see docs/scaling.md.
// A fixed-shape read (the token lookup, the default list) goes further: precompiled.ts builds it
// once per process with placeholders; this module is for statements whose shape varies per call.

// The statement text is in the hot statements' parameters only, so their shapes are few; past
// this many distinct texts a new one is sent unnamed, so nothing grows without bound per connection.
const MAX_NAMES = 256;
const names = new Map<string, string>();
const dialect = new PgDialect();

/** The name of a statement text, or undefined once MAX_NAMES texts have been named. */
export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMES) {
    name = `b_${createHash("sha1").update(text).digest("base64url")}`;
    names.set(text, name);
  }
  return name;
}

/**
 * A drizzle query builder's prepared query (its `.prepare()`), named after its text: the builder
 * builds the statement once, and the name is set on the driver's query config before it runs.
 */
export function named<P>(builder: { prepare(name: string): P }): P {
  const p = builder.prepare("");
  const config = p as unknown as { queryConfig: { text: string; name?: string }; rawQueryConfig: { name?: string } };
  config.queryConfig.name = config.rawQueryConfig.name = statementName(config.queryConfig.text);
  return p;
}

/** tx.execute(query), as a named prepared statement (same result: the driver's QueryResult). */
export function executePrepared<T extends QueryResultRow>(tx: Tx, query: SQL): Promise<QueryResult<T>> {
  const q = dialect.sqlToQuery(query);
  return tx._.session.prepareQuery(q, undefined, statementName(q.sql), false).execute() as Promise<QueryResult<T>>;
}
