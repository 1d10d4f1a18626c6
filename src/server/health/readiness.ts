import "server-only";
import { pool } from "../db/client";
import { migrationStatus } from "../db/migrations";

export type Readiness = {
  ready: boolean;
  db: { ok: boolean; latencyMs: number | null; error?: string };
  migrations: { applied: number; pending: number } | null;
};

/** Ready = the database answers within the timeout and every committed migration is applied. */
export async function readiness(timeoutMs = 2_000): Promise<Readiness> {
  const started = performance.now();
  try {
    const status = await withTimeout(migrationStatus(pool()), timeoutMs);
    const latencyMs = Math.round(performance.now() - started);
    return {
      ready: status.pending.length === 0,
      db: { ok: true, latencyMs },
      migrations: { applied: status.applied.length, pending: status.pending.length },
    };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { ready: false, db: { ok: false, latencyMs: null, error: e.code ?? "unreachable" }, migrations: null };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { code: "timeout" })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
