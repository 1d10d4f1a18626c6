/**
 * The one row a statement returns, e.g. an INSERT … RETURNING: `const t = one(await tx.insert(…).returning())`
 * instead of `const [t] = …` and a `t!` at every use. A statement that returned none is a bug, said
 * in words rather than as a TypeError on `undefined`.
 */
export function one<T>(rows: readonly T[]): T {
  const [row] = rows;
  if (row === undefined) throw new Error("expected a row, the statement returned none");
  return row;
}
