import "server-only";
import type pg from "pg";
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
export async function enqueue(tx: Tx, queue: QueueName, data: object, options: { singletonKey?: string; startAfter?: Date } = {}): Promise<void> {
  await jobSender().send(queue, data, { ...options, db: txDb(clientOf(tx)) });
}

/** Many jobs of one queue in one statement, in the caller's transaction. */
export async function enqueueMany(tx: Tx, queue: QueueName, data: object[]): Promise<void> {
  if (data.length === 0) return;
  await jobSender().insert(data.map((d) => ({ name: queue, data: d })), { db: txDb(clientOf(tx)) });
}
