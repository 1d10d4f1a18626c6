import "server-only";
import pg from "pg";
import { ensureJobSchema } from "../jobs/boss";
import { runMigrations, type MigrationStatus } from "./migrations";

/** The deploy step: Beacon's SQL migrations, then pg-boss's schema, queues and grants. */
export async function prepareDatabase(url: string): Promise<MigrationStatus> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let status: MigrationStatus;
  try {
    status = await runMigrations(client);
  } finally {
    await client.end();
  }
  await ensureJobSchema(url);
  return status;
}
