// `npm run worker` stops cleanly (issue 21 §1-2): SIGTERM to the pid it prints (and writes to
// BEACON_PID_FILE) lets the running job finish, logs `worker stopped`, exits 0 and leaves no process
// of its group behind; past SHUTDOWN_GRACE_MS the job is cut, handed back to the queue at once
// (not left `active` until it expires) and the process exits 1. A real npm, a real SMTP server.
// (The web server's drain needs a production build: scripts/test-drain.ts, run by npm test.)
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { handleNotify } from "../../src/server/notifications/notify";
import { newTicket } from "../helpers/api";
import { jobsIn, waitFor } from "../helpers/jobs";
import { startSmtp } from "../helpers/receivers";
import { createWorld, type World } from "../helpers/world";

const ROOT = path.resolve(import.meta.dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-worker-drain-"));
let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `npm run worker` in its own process group, as an operator (or systemd) starts it. */
function npmWorker(env: Record<string, string>): {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn("npm", ["run", "--silent", "worker"], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, out: () => out, exited };
}

function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

async function breachEmail(subject: string) {
  const t = await newTicket(w.customer, { subject });
  await unsafeWithSystem((tx) => tx.execute(sql`update tickets set assignee_id = ${w.agent.id} where id = ${t.id}`));
  await handleNotify({
    orgId: w.org.id,
    kind: "sla.breach",
    ticketId: t.id,
    metric: "first_response",
    dueAt: new Date().toISOString(),
  });
  return t;
}

describe("npm run worker on SIGTERM", () => {
  it("finishes the email it is sending, logs worker stopped, exits 0, and leaves nothing behind", async () => {
    const subject = `Drain test ${Date.now()}`;
    const isTarget = (raw: string) => raw.includes(subject) && raw.includes("SLA breached");
    let sawData!: () => void;
    const dataArrived = new Promise<void>((r) => (sawData = r));
    // The SMTP server holds its 250 for 3 s: the worker is mid-send when the signal comes.
    const smtp = await startSmtp({
      holdIf: (raw) => (isTarget(raw) ? 3_000 : 0),
      onData: (raw) => isTarget(raw) && sawData(),
    });
    const pidFile = path.join(tmp, "worker.pid");
    const p = npmWorker({ SMTP_URL: smtp.url, BEACON_PID_FILE: pidFile, SHUTDOWN_GRACE_MS: "10000" });
    try {
      const printed = await waitFor(
        "the worker's running line",
        async () => /Beacon worker running \(pid (\d+)\)/.exec(p.out())?.[1],
        60_000,
      );
      expect(fs.readFileSync(pidFile, "utf8").trim()).toBe(printed);
      expect(Number(printed)).not.toBe(p.child.pid); // the server, not npm

      const t = await breachEmail(subject);
      await dataArrived;
      const signalledAt = Date.now();
      process.kill(Number(printed), "SIGTERM");
      const code = await p.exited;
      expect(code, p.out()).toBe(0);
      // It waited for the send (about 3 s), not for the grace period.
      expect(Date.now() - signalledAt).toBeLessThan(9_000);
      expect(p.out()).toMatch(/"jobs":1,"inProgress":1,"msg":"worker stopped"/);
      expect(p.out()).toMatch(/"drained":\{"jobs":1\},"cut":\{"jobs":0\}.*"msg":"Beacon worker process stopped"/);
      expect(fs.existsSync(pidFile)).toBe(false);
      await waitFor("the process group to be gone", async () => groupGone(p.child.pid!), 5_000);

      // Sent once, and the job is complete: nothing left to run it again.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(smtp.mails.filter((m) => isTarget(m.raw))).toHaveLength(1);
      const n = await unsafeWithSystem((tx) =>
        tx.execute<{ id: string; emailed: boolean }>(
          sql`select id, emailed_at is not null as emailed from notifications where ticket_id = ${t.id} and kind = 'sla.breach'`,
        ),
      );
      expect(n.rows).toHaveLength(1);
      expect(n.rows[0]!.emailed).toBe(true);
      const jobs = await jobsIn("email", { notificationId: n.rows[0]!.id });
      expect(jobs.map((j) => j.state)).toEqual(["completed"]);
    } finally {
      if (p.child.exitCode === null) process.kill(-p.child.pid!, "SIGKILL");
      await smtp.close();
    }
  }, 90_000);

  it("past SHUTDOWN_GRACE_MS cuts the job, hands it back for a retry at once, and exits 1", async () => {
    const subject = `Drain cut ${Date.now()}`;
    const isTarget = (raw: string) => raw.includes(subject) && raw.includes("SLA breached");
    let sawData!: () => void;
    const dataArrived = new Promise<void>((r) => (sawData = r));
    const smtp = await startSmtp({
      holdIf: (raw) => (isTarget(raw) ? 30_000 : 0),
      onData: (raw) => isTarget(raw) && sawData(),
    });
    const p = npmWorker({ SMTP_URL: smtp.url, BEACON_PID_FILE: path.join(tmp, "cut.pid"), SHUTDOWN_GRACE_MS: "1000" });
    try {
      const printed = await waitFor(
        "the worker's running line",
        async () => /Beacon worker running \(pid (\d+)\)/.exec(p.out())?.[1],
        60_000,
      );
      const t = await breachEmail(subject);
      await dataArrived;
      // Signal npm's own pid this time: npm forwards it to the server.
      process.kill(p.child.pid!, "SIGTERM");
      expect(await p.exited, p.out()).not.toBe(0);
      expect(p.out()).toMatch(/"msg":"worker stopped; jobs cut at the grace period will be retried"/);
      expect(p.out()).toMatch(
        /"cut":\{"jobs":1\}.*"msg":"Beacon worker process stopped; cut work at the grace period"/,
      );
      await waitFor("the process group to be gone", async () => groupGone(p.child.pid!), 5_000);
      expect(groupGone(Number(printed))).toBe(true);
      const n = await unsafeWithSystem((tx) =>
        tx.execute<{ id: string }>(sql`select id from notifications where ticket_id = ${t.id} and kind = 'sla.breach'`),
      );
      const jobs = await jobsIn("email", { notificationId: n.rows[0]!.id });
      // Failed by the stop, so pg-boss retries it after its delay: not `active` until it expires.
      expect(jobs.map((j) => j.state)).toEqual(["retry"]);
    } finally {
      if (p.child.exitCode === null) process.kill(-p.child.pid!, "SIGKILL");
      await smtp.close();
    }
  }, 90_000);
});
