import { describe, expect, it } from "vitest";
import { verify, type VerifyInput } from "../../scripts/cluster/verify";

// The cluster test's verdict (npm run test:cluster) runs only there; this holds its
// delivered-exactly-once check to its rule without a cluster: a second acceptance of the same
// email or webhook delivery fails the run, unless its first copy fell inside a fault window
// (the documented at-least-once case), which is an INFO line instead.
const ONCE = "every notification email and webhook was accepted exactly once (by idempotency key)";

function input(opts: { mailAt: number[]; hookAt: number[]; workerKillAt?: number }): VerifyInput {
  const hit = (at: number) => ({ at, deliveryId: "d1", event: "sla.breach", orgId: null, eventIdentity: "e1", signatureValid: true, answered: 200 });
  return {
    ledger: { calls: [], writes: [], tickets: new Map(), isolation: [] },
    snap: {
      at: 0, pendingJobs: 0, drained: true, jobs: [], tickets: [], comments: [], audit: [], auditCounts: new Map(), slaEvents: [], deliveries: [],
      notifications: [{ id: "n1", org_id: "o", user_id: "u", kind: "ticket.created", ticket_id: null, idempotency_key: "k", emailed_at: new Date(0), email_attempts: 1, email_error: null }],
    },
    orgs: [],
    mail: { accepted: opts.mailAt.map((at) => ({ notificationId: "n1", at })), attempts: () => opts.mailAt.length } as unknown as VerifyInput["mail"],
    hooks: { hits: opts.hookAt.map(hit) } as unknown as VerifyInput["hooks"],
    faults: { errors: [], ...(opts.workerKillAt === undefined ? {} : { workerKill: { at: opts.workerKillAt, pid: 1, heldAtKill: 0, activeAtKill: [], orphans: [], orphansFinal: [], orphansDoneAt: null, restartedAt: null } }) },
    auditVerify: [],
    proxyErrors: [],
    hangMs: 1_000,
  };
}

const onceCheck = (r: ReturnType<typeof verify>) => r.checks.find((c) => c.name === ONCE)!;

describe("cluster verdict: delivered exactly once", () => {
  it("passes one acceptance of each", () => {
    const r = verify(input({ mailAt: [10_000], hookAt: [10_000] }));
    expect(onceCheck(r)).toMatchObject({ ok: true, evidence: [] });
  });

  it("fails a second acceptance of an email and of a webhook delivery outside any fault window", () => {
    const r = verify(input({ mailAt: [10_000, 12_000], hookAt: [10_000, 12_000] }));
    expect(onceCheck(r)).toMatchObject({
      ok: false,
      evidence: ["notification n1 accepted 2 times", "webhook delivery d1 accepted 2 times"],
    });
    expect(r.info.join("\n")).not.toContain("Resends");
  });

  it("reports them as resends when the first copy fell inside the worker kill's window", () => {
    const r = verify(input({ mailAt: [10_000, 12_000], hookAt: [10_500, 12_000], workerKillAt: 10_200 }));
    expect(onceCheck(r)).toMatchObject({ ok: true, evidence: [] });
    expect(r.info.join("\n")).toContain("notification n1 accepted 2 times (first copy inside a fault window); webhook delivery d1 accepted 2 times (first copy inside a fault window)");
  });
});
