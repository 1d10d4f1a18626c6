import fs from "node:fs";
import type pg from "pg";

// CPU time of processes from /proc (Linux), to split a load run's CPU between the server under
// test, the PostgreSQL backends serving this database and the load generator. Elsewhere the
// server and PostgreSQL figures are null.

const TICKS_PER_SEC = 100; // USER_HZ on every Linux Node supports

/** utime + stime of one process, ms (null when unreadable). */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces, so split after the last ")").
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_SEC;
  } catch {
    return null;
  }
}

/** The backends connected to this database (the app's and the bare server's pools among them). */
export async function backendPids(client: pg.Client): Promise<number[]> {
  const r = await client.query<{ pid: number }>(
    "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
  );
  return r.rows.map((x) => x.pid);
}

export type CpuSnapshot = { server: number | null; backends: Map<number, number>; loadGen: number };

export function cpuSnapshot(serverPid: number | undefined, pgPids: number[]): CpuSnapshot {
  const u = process.cpuUsage();
  const backends = new Map<number, number>();
  for (const pid of pgPids) {
    const ms = processCpuMs(pid);
    if (ms !== null) backends.set(pid, ms);
  }
  return { server: serverPid ? processCpuMs(serverPid) : null, backends, loadGen: (u.user + u.system) / 1000 };
}

export type CpuPerRequest = { server: number | null; postgres: number | null; loadGen: number };

/**
 * CPU ms per request between two snapshots. PostgreSQL: the backends of this database seen in
 * either snapshot (one that connected meanwhile counts from zero; one that left is not counted).
 */
export function cpuPerRequest(a: CpuSnapshot, b: CpuSnapshot, requests: number): CpuPerRequest {
  if (requests === 0) return { server: null, postgres: null, loadGen: 0 };
  const r3 = (x: number) => Math.round((x / requests) * 1000) / 1000;
  let pgMs = 0;
  for (const [pid, after] of b.backends) pgMs += after - (a.backends.get(pid) ?? 0);
  return {
    server: a.server === null || b.server === null ? null : r3(b.server - a.server),
    postgres: b.backends.size === 0 ? null : r3(Math.max(0, pgMs)),
    loadGen: r3(b.loadGen - a.loadGen),
  };
}
