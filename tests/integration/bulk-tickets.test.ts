import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { runBulkJob } from "../../src/server/bulk/run-bulk-job";
import { QUEUES } from "../../src/server/jobs/queues";
import { api, newTicket } from "../helpers/api";
import { insertTickets } from "../helpers/bulk-tickets";
import { apiRoute, call } from "../helpers/http";
import { jobsIn } from "../helpers/jobs";
import { createWorld, type World } from "../helpers/world";

// Bulk changes (SPEC §13, issue 14 item 3, migration 0024, decision 050): one background job per
// change, in batches, each ticket changed and audited as its own PATCH, with progress and a report
// of the tickets that could not change.

let A: World, B: World;
beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
});

type Who = { cookie: string };
type Job = {
  id: string;
  state: string;
  total: number;
  processed: number;
  changed: number;
  failures: { ticketId: string; number: number | null; code: string; message: string }[];
};
const start = (who: Who, body: unknown) =>
  call(apiRoute.POST, "POST", "/api/v1/tickets/bulk", { cookie: who.cookie, body });
const progress = (who: Who, id: string) =>
  call<Job>(apiRoute.GET, "GET", `/api/v1/bulk-jobs/${id}`, { cookie: who.cookie });
const count = async (orgId: string, where: ReturnType<typeof sql>) =>
  Number(
    (
      await unsafeWithSystem((tx) =>
        tx.execute<{ n: string }>(sql`select count(*) as n from tickets where org_id = ${orgId} and ${where}`),
      )
    ).rows[0]!.n,
  );

describe("bulk changes", () => {
  it("assigns selected tickets in one job: each audited as a PATCH; a closed one is reported with why, the rest change", async () => {
    const ts = await Promise.all([1, 2, 3].map((i) => newTicket(A.customer, { subject: `bulk ${i}` })));
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update tickets set status = 'closed', closed_at = now() where id = ${ts[2]!.id}`),
    );
    const r = await start(A.agent, {
      ticketIds: ts.map((t) => t.id),
      set: { assigneeId: A.agent2.id, addTags: ["bulk"] },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ state: "queued", total: 3, processed: 0 });
    expect((await jobsIn(QUEUES.bulkTickets.name, { jobId: r.body.id })).length).toBe(1);
    await runBulkJob({ orgId: A.org.id, jobId: r.body.id });
    const done = (await progress(A.agent, r.body.id)).body;
    expect(done).toMatchObject({ state: "done", total: 3, processed: 3, changed: 2 });
    expect(done.failures).toEqual([
      {
        ticketId: ts[2]!.id,
        number: ts[2]!.number,
        code: "conflict",
        message: "closed tickets are final and cannot be changed",
      },
    ]);
    for (const t of ts.slice(0, 2)) {
      const now = (await api.getTicket(A.agent, t.id)).body;
      expect(now.assigneeId).toBe(A.agent2.id);
      expect(now.tags).toEqual(["bulk"]);
      const events = (await api.events(A.agent, t.id)).body.data as { action: string; actorId: string }[];
      expect(events.filter((e) => e.action === "ticket.updated").map((e) => e.actorId)).toEqual([A.agent.id]);
    }
    expect((await api.getTicket(A.agent, ts[2]!.id)).body.assigneeId).toBeNull();
  });

  it("applies a macro to every ticket matching a filter", async () => {
    const W = await createWorld();
    const m = await call(apiRoute.POST, "POST", "/api/v1/macros", {
      cookie: W.admin.cookie,
      body: { name: "Escalate", actions: [{ type: "set_priority", value: "urgent" }] },
    });
    expect(m.status, m.text).toBe(201);
    await Promise.all([1, 2].map((i) => newTicket(W.customer, { subject: `m ${i}` })));
    const r = await start(W.agent, { filters: { status: "new" }, macroId: m.body.id });
    expect(r.status, r.text).toBe(201);
    expect(r.body.total).toBe(2);
    await runBulkJob({ orgId: W.org.id, jobId: r.body.id });
    expect((await progress(W.agent, r.body.id)).body).toMatchObject({ state: "done", changed: 2, failures: [] });
    expect(await count(W.org.id, sql`priority = 'urgent'`)).toBe(2);
  });

  it("refuses bad requests with 400 and starts nothing; customers get 403; another org's tickets and jobs are unknown", async () => {
    const mine = await newTicket(A.customer);
    const theirs = await newTicket(B.customer);
    for (const body of [
      {},
      { ticketIds: [mine.id] },
      { ticketIds: [mine.id], set: { status: "nope" } },
      { ticketIds: [mine.id], filters: {}, set: { status: "open" } },
      { filters: { zz: "1" }, set: { status: "open" } },
      { ticketIds: [theirs.id], set: { status: "open" } },
      { ticketIds: [mine.id], set: {} },
    ]) {
      const r = await start(A.agent, body);
      expect(r.status, `${JSON.stringify(body)}: ${r.text}`).toBe(400);
    }
    expect((await start(A.customer, { ticketIds: [mine.id], set: { status: "open" } })).status).toBe(403);
    const b = await start(B.agent, { ticketIds: [theirs.id], set: { status: "open" } });
    expect(b.status).toBe(201);
    expect((await progress(A.agent, b.body.id)).status).toBe(404);
    expect((await progress(B.customer, b.body.id)).status).toBe(403);
  });

  // 10,000 by default (the size); BULK_TEST_TICKETS=500 for a quick run on a busy machine.
  const N = Number(process.env.BULK_TEST_TICKETS ?? 10_000);
  it(
    `changes ${N} tickets in batches, with progress visible while it runs and each ticket audited`,
    { timeout: 3_600_000 },
    async () => {
      const W = await createWorld();
      await insertTickets(W, N, { subject: "Bulk" });
      const started = performance.now();
      const r = await start(W.agent, { filters: { status: "open" }, set: { addTags: ["migrated"] } });
      expect(r.status, r.text).toBe(201);
      expect(r.body.total).toBe(N);
      const seen: number[] = [];
      let running = true;
      const run = runBulkJob({ orgId: W.org.id, jobId: r.body.id }).finally(() => (running = false));
      while (running) {
        seen.push((await progress(W.agent, r.body.id)).body.processed);
        await new Promise((res) => setTimeout(res, 250));
      }
      expect(await run).toEqual({ processed: N, changed: N });
      console.info(`bulk: ${N} tickets in ${Math.round(performance.now() - started)} ms`);
      // Progress was committed batch by batch: readers saw it grow between 0 and the end, in steps of the batch.
      const between = seen.filter((n) => n > 0 && n < N);
      expect(between.length).toBeGreaterThan(0);
      expect(between.every((n) => n % 100 === 0)).toBe(true);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect((await progress(W.agent, r.body.id)).body).toMatchObject({
        state: "done",
        processed: N,
        changed: N,
        failures: [],
      });
      expect(await count(W.org.id, sql`'migrated' = any(tags)`)).toBe(N);
      const audited = await unsafeWithSystem((tx) =>
        tx.execute<{ n: string }>(
          sql`select count(*) as n from audit_events where org_id = ${W.org.id} and action = 'ticket.updated' and actor_id = ${W.agent.id}`,
        ),
      );
      expect(Number(audited.rows[0]!.n)).toBe(N);
    },
  );
});
