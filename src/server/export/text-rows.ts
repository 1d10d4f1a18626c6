import "server-only";
import pg from "pg";
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Tx } from "../db/tenant";
import { TEXT_TYPES as asText, txClient as clientOf } from "../db/tx-client";

/** One result row: each column as PostgreSQL's text output, unparsed (null stays null). */
export type TextRow = (string | null)[];

const dialect = new PgDialect();

/**
 * Runs `query` in the tenant transaction and returns its rows as arrays of text. Export batches
 * are read this way rather than through the ORM: per row, the ORM builds an object, maps every
 * field and parses every timestamp into a Date, which profiling showed as most of an export's
 * CPU time and garbage (docs/decisions/011-export.md).
 */
export async function queryTextRows(tx: Tx, query: SQL): Promise<TextRow[]> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  const result = await clientOf(tx).query<TextRow>({ text, values: params, rowMode: "array", types: asText });
  return result.rows;
}

/**
 * Like queryTextRows, but hands each row to `onRow` as it arrives instead of collecting them:
 * a row that is written out at once never outlives the garbage collector's young generation.
 * Resolves with the number of rows.
 */
export function streamTextRows(tx: Tx, query: SQL, onRow: (row: TextRow) => void): Promise<number> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  const config: pg.QueryArrayConfig = { text, values: params, rowMode: "array", types: asText };
  const q = new pg.Query(config);
  let rows = 0;
  return new Promise<number>((resolve, reject) => {
    q.on("row", (row: unknown) => {
      rows++;
      try {
        onRow(row as TextRow);
      } catch (err) {
        reject(err);
      }
    });
    q.on("error", reject);
    q.on("end", () => resolve(rows));
    void clientOf(tx).query(q);
  });
}
