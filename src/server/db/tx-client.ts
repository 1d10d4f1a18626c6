import "server-only";
import type pg from "pg";
import type { Tx } from "./tenant";

/**
 * The transaction's own pg connection: same role, same app.org_id, so the same row-level
 * security. For the few hot paths that send SQL without drizzle's query building and row mapping
 * (the export's text rows, audit verification, the request's token lookup and default ticket
 * list): drizzle's node-postgres transaction runs on one checked-out pool client, kept on its
 * session.
 */
export function txClient(tx: Tx): pg.PoolClient {
  const client = (tx._.session as unknown as { client?: pg.PoolClient }).client;
  if (!client || typeof client.query !== "function")
    throw new Error("the transaction's pg client is not reachable (drizzle internals changed?)");
  return client;
}

const identity = (value: string) => value;

/** Type parsers that leave every column as PostgreSQL's text output (null stays null). */
export const TEXT_TYPES = { getTypeParser: () => identity } as unknown as pg.CustomTypesConfig;
