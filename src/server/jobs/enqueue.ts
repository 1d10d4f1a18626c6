import "server-only";
import type pg from "pg";
import { sql, type SQL } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { jobSender, txDb } from "./boss";
import type { QueueName } from "./queues";

/** The pg client under a Drizzle transaction (drizzle keeps it on the session). */
export function clientOf(tx: Tx): pg.ClientBase {
  const client = (tx as unknown as { session?: { client?: pg.ClientBase } }).session?.client;
  if (!client || typeof client.query !== "function") throw new Error("enqueue: transaction has no pg client");
  return client;
}

/**
 * Enqueues a job in the caller's transaction: it exists if and only if the change that caused it
 * commits (no job for a rolled-back change, no change without its job).
 */
export async function enqueue(
  tx: Tx,
  queue: QueueName,
  data: object,
  options: { singletonKey?: string; startAfter?: Date } = {},
): Promise<void> {
  await jobSender().send(queue, data, { ...options, db: txDb(clientOf(tx)) });
}

/** Many jobs of one queue in one statement, in the caller's transaction. */
export async function enqueueMany(tx: Tx, queue: QueueName, data: object[]): Promise<void> {
  if (data.length === 0) return;
  await jobSender().insert(
    data.map((d) => ({ name: queue, data: d })),
    { db: txDb(clientOf(tx)) },
  );
}

let insertPlan: Promise<{ text: string; values: unknown[] }> | undefined;

/** pg-boss's own insert statement and its parameters (captured once, not executed). */
function capturedInsert(): Promise<{ text: string; values: unknown[] }> {
  insertPlan ??= (async () => {
    let captured: { text: string; values: unknown[] } | undefined;
    await jobSender().insert([], {
      db: {
        executeSql: async (text: string, values: unknown[]) => {
          captured = { text, values };
          return { rows: [] } as unknown as pg.QueryResult;
        },
      },
    });
    if (!captured) throw new Error("enqueue: pg-boss sent no insert");
    return captured;
  })();
  return insertPlan;
}

/**
 * Jobs enqueued by a CTE of the caller's statement (decision 047): pg-boss's own insert (so the
 * queue's policy, retry and retention defaults apply as for `enqueueMany`), with its job list the
 * JSON array `jobs` computes in the statement (elements `{name, data, startAfter?}`), so a job can
 * carry what the statement itself wrote (a ticket number, a version).
 */
export async function enqueueCte(jobs: SQL): Promise<SQL> {
  const { text, values } = await capturedInsert();
  const parts = text.split(/\$(\d+)/);
  const chunks: SQL[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) chunks.push(sql.raw(parts[i]!));
    else chunks.push(parts[i] === "1" ? sql`(${jobs})::json` : sql`${values[Number(parts[i]) - 1] ?? null}`);
  }
  return sql.join(chunks, sql``);
}
