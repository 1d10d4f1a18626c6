import "server-only";
import { sql } from "drizzle-orm";
import { unsafeWithSystem } from "../db/tenant";
import { resealed } from "./secret-box";

// After NEXTAUTH_SECRET is rotated (the old value kept in NEXTAUTH_SECRET_PREVIOUS), moves every
// sealed secret to the current key, so the old secret can then be dropped (runbook: "Rotate
// NEXTAUTH_SECRET"). The columns are listed by the caller (scripts/secrets.ts), which may import
// every folder that seals something; this module knows none of them.

/** A sealed column: its table, the columns of the table's key (stable across updates), and the box's purpose. */
export type SealedColumn = { table: string; column: string; key: readonly string[]; purpose: string };
export type ResealCount = { table: string; column: string; resealed: number; current: number; unreadable: number };

const BATCH = 500;

/**
 * Re-seals one column in batches of rows (one short transaction each, so a large table is never
 * locked for long). Boxes under the current key stay as they are; boxes no known key opens are
 * counted as unreadable (their owners set them again). Cross-org by nature: an operator command.
 */
export async function unsafeResealColumn(col: SealedColumn): Promise<ResealCount> {
  const count: ResealCount = { table: col.table, column: col.column, resealed: 0, current: 0, unreadable: 0 };
  const t = sql.identifier(col.table);
  const c = sql.identifier(col.column);
  const keyText = sql.join(
    col.key.map((k) => sql`${sql.identifier(k)}::text`),
    sql`, `,
  );
  const keyRow = (values: readonly string[]) =>
    sql.join(
      values.map((v) => sql`${v}`),
      sql`, `,
    );
  let after: string[] | null = null;
  for (;;) {
    const rows = await unsafeWithSystem(async (tx) => {
      const { rows: page } = await tx.execute<{ key: string[]; sealed: string }>(sql`
        select json_build_array(${keyText}) as key, ${c} as sealed from ${t}
        where ${c} is not null ${after ? sql`and (${keyText}) > (${keyRow(after)})` : sql``}
        order by ${keyText} limit ${BATCH}`);
      for (const row of page) {
        const box = resealed(row.sealed, col.purpose);
        count[box.under === "previous" ? "resealed" : box.under]++;
        if (box.under !== "previous") continue;
        const match = sql.join(
          col.key.map((k, i) => sql`${sql.identifier(k)}::text = ${row.key[i]!}`),
          sql` and `,
        );
        // Only if nobody changed it meanwhile (a user enrolling again, an admin entering a new password).
        await tx.execute(sql`update ${t} set ${c} = ${box.fresh} where ${match} and ${c} = ${row.sealed}`);
      }
      return page;
    });
    if (rows.length < BATCH) return count;
    after = rows[rows.length - 1]!.key;
  }
}
