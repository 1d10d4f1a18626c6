import { describe, expect, it } from "vitest";
import { verify, type VerifyInput } from "../../scripts/cluster/verify";

// The cluster test's verdict (npm run test:cluster) runs only there; this holds its
// delivered-exactly-once check to its rule without a cluster: a second acceptance of the same
// email or webhook delivery fails the run, unless its first copy fell inside a fault window
// (the documented at-least-once case), which is an INFO line instead.
const ONCE = "every notification email and webhook was accepted exactly once (by idempotency key)";

function input(opts: { mailAt: number[]; hookAt: number[]; workerKillAt?: number }): VerifyInput {
  const hit = (at: number) => ({
    at,
    deliveryId: "d1",
    event: "sla.breach",
    orgId: null,
    eventIdentity: "e1",
    signatureValid: true,
    answered: 200,
  });
  return {
    ledger: { calls: [], writes: [], tickets: new Map(), isolation: [] },
    snap: {
      at: 0,
      pendingJobs: 0,
      drained: true,
      jobs: [],
      tickets: [],
      comments: [],
      audit: [],
      auditCounts: new Map(),
      slaEvents: [],
      deliveries: [],
      notifications: [
        {
          id: "n1",
          org_id: "o",
          user_id: "u",
          kind: "ticket.created",
          ticket_id: null,
          idempotency_key: "k",
          emailed_at: new Date(0),
          email_attempts: 1,
          email_error: null,
        },
      ],
    },
    orgs: [],
    mail: {
      accepted: opts.mailAt.map((at) => ({ notificationId: "n1", at })),
      attempts: () => opts.mailAt.length,
    } as unknown as VerifyInput["mail"],
    hooks: { hits: opts.hookAt.map(hit) } as unknown as VerifyInput["hooks"],
    faults: {
      errors: [],
      ...(opts.workerKillAt === undefined
        ? {}
        : {
            workerKill: {
              at: opts.workerKillAt,
              pid: 1,
              heldAtKill: 0,
              activeAtKill: [],
              orphans: [],
              orphansFinal: [],
              orphansDoneAt: null,
              restartedAt: null,
            },
          }),
    },
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
    expect(r.info.join("\n")).toContain(
      "notification n1 accepted 2 times (first copy inside a fault window); webhook delivery d1 accepted 2 times (first copy inside a fault window)",
    );
  });
});

// The inbound-mail check (issue 12 item 9): every accepted Message-ID is exactly one applied ticket
// or comment; nothing stored that nobody sent; nothing refused for good or given up on.
const MAIL = "every accepted inbound message (SMTP and webhook, retried through the faults) is one ticket or comment";
type Send = NonNullable<VerifyInput["inbound"]>["sends"][number];
type Row = {
  message_id: string | null;
  status: string;
  outcome: string | null;
  ticket_id: string | null;
  comment_id: string | null;
  error: string | null;
};

function mailInput(sends: Send[], rows: Row[], comments: [string, number][], pending = 0): VerifyInput {
  return {
    ...input({ mailAt: [], hookAt: [] }),
    inbound: { sends, state: { messages: rows, commentsByMessageId: new Map(comments), pending, waitedMs: 0 } },
  };
}
const send = (id: string, over: Partial<Send> = {}): Send => ({
  messageId: id,
  via: "smtp",
  kind: "new",
  attempts: 1,
  refusals: [],
  outcome: "accepted",
  lastAnswer: "250",
  firstAt: 0,
  acceptedAt: 1,
  ...over,
});
const row = (id: string, over: Partial<Row> = {}): Row => ({
  message_id: `<${id}>`,
  status: "applied",
  outcome: "ticket",
  ticket_id: "t",
  comment_id: "c",
  error: null,
  ...over,
});
const mailCheck = (i: VerifyInput) => verify(i).checks.find((c) => c.name === MAIL)!;

describe("cluster verdict: inbound mail", () => {
  it("passes every accepted message applied once, retries included, Message-IDs compared without brackets or case", () => {
    const c = mailCheck(
      mailInput(
        [
          send("a@x.test"),
          send("B@x.test", { via: "webhook", refusals: ["503", "conn"], attempts: 3, lastAnswer: "202" }),
        ],
        [row("a@x.test"), row("b@x.test", { outcome: "reply" })],
        [
          ["a@x.test", 1],
          ["b@x.test", 1],
        ],
      ),
    );
    expect(c).toMatchObject({ ok: true, evidence: [] });
    expect(c.detail).toContain(
      "2 accepted → 1 tickets + 1 replies; 1 accepted only after a retry (webhook 503 ×1, webhook conn ×1)",
    );
  });

  it("fails a lost, a doubled, an unapplied and a given-up message, a row nobody sent, and mail still waiting", () => {
    const c = mailCheck(
      mailInput(
        [
          send("lost@x.test"),
          send("twice@x.test"),
          send("waiting@x.test"),
          send("late@x.test", { outcome: "gave-up", refusals: ["451", "451"], attempts: 2 }),
        ],
        [
          row("lost@x.test"),
          row("twice@x.test"),
          row("waiting@x.test", { status: "received", outcome: null }),
          row("phantom@x.test"),
        ],
        [
          ["twice@x.test", 2],
          ["waiting@x.test", 0],
        ],
        1,
      ),
    );
    expect(c.ok).toBe(false);
    expect(c.evidence).toEqual(
      expect.arrayContaining([
        "lost@x.test (smtp): accepted, LOST (no ticket or comment)",
        "twice@x.test (smtp): accepted, DOUBLED (2 comments)",
        "waiting@x.test (smtp): accepted, but received",
        "late@x.test (smtp) given up on at the deadline after 2 attempts: 451, 451",
        "intake row for a Message-ID nobody sent: phantom@x.test",
      ]),
    );
  });

  it("is absent when the run sent no mail", () => {
    expect(verify(input({ mailAt: [], hookAt: [] })).checks.map((x) => x.name)).not.toContain(MAIL);
  });
});
