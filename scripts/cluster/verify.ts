// The verdict: the database, the receivers and every answer the virtual users got, held against
// each other. Each check is PASS or FAIL with the evidence; INFO lines explain without judging.
import { eventKey } from "../../src/server/notifications/notify";
import { REDIS_RECONNECT_MS, type FaultResults, type JobRef } from "./faults";
import type { Ledger, Op, WriteRec } from "./load";
import type { HookSink, MailSink } from "./receivers";
import { normalizeMessageId, type InboundState, type MailSend } from "./inbound";
import type { ClusterOrg } from "./setup";
import type { Snapshot } from "./snapshot";

export type Check = { name: string; ok: boolean; detail: string; evidence?: string[] };

const MARKER = /cl-[A-Za-z0-9]+-[a-z0-9]+-[a-z0-9]+/;
const AUDIT_ACTION: Partial<Record<Op, string>> = {
  "ticket.create": "ticket.created",
  "comment.public": "ticket.replied",
  "comment.internal": "ticket.note_added",
  "ticket.update": "ticket.updated",
};

const sample = (xs: string[], n = 8) => (xs.length > n ? [...xs.slice(0, n), `… and ${xs.length - n} more`] : xs);

export type VerifyInput = {
  ledger: Ledger;
  snap: Snapshot;
  orgs: ClusterOrg[];
  mail: MailSink;
  hooks: HookSink;
  faults: FaultResults;
  auditVerify: { slug: string; status: number; valid?: boolean; checked?: number; firstBrokenSeq?: number | null }[];
  proxyErrors: { at: number; backend: string; error: string }[];
  hangMs: number;
  /** The inbound mail stream and what the mail org's intake holds afterwards (absent: no mail was sent). */
  inbound?: { sends: MailSend[]; state: (InboundState & { pending: number; waitedMs: number }) | { error: string } };
};

/** The input, with the lookups several checks share built once. */
type Run = VerifyInput & {
  byRequest: Map<string, WriteRec>;
  ticketsById: Map<string, Snapshot["tickets"][number]>;
  orgIdOf: (idx: number) => string;
  /** Notification ids and webhook delivery ids → when the SMTP server / receiver accepted them. */
  mailById: Map<string, number[]>;
  hookOk: HookSink["hits"];
  hookByDelivery: Map<string, number[]>;
  /** Whether the first copy of a duplicate was accepted inside a fault window (at-least-once). */
  explained: (times: number[]) => boolean;
};

type Skipped = { skipped: string };

/** One check per invariant, in the order the report lists them; INFO lines for skipped faults. */
export function verify(input: VerifyInput): { checks: Check[]; info: string[] } {
  const run = prepare(input);
  const info: string[] = [];
  const delivered = deliveredOnce(run);
  if (delivered.resends.length)
    info.push(
      `Resends inside the documented at-least-once window (a sender killed or its database gone between the receiver's acceptance and the commit; receivers dedupe by Message-ID / X-Beacon-Delivery): ${delivered.resends.join("; ")}`,
    );
  const faultChecks = [
    workerKillRecovered(run),
    databaseRestartObserved(run),
    redisOutageHarmless(run),
    smtpOutageDeliveredLate(run),
  ].flatMap((c) => {
    if ("skipped" in c) {
      info.push(c.skipped);
      return [];
    }
    return [c];
  });
  const checks: Check[] = [
    ticketsStoredOnce(run),
    numbersGapFree(run),
    commentsStoredOnce(run),
    writesAuditedOnce(run),
    finalStateIsLastAcknowledged(run),
    auditChainsVerify(run),
    slaEventsNotified(run),
    delivered.check,
    queuesDrained(run),
    no5xxOrHang(run),
    no4xxForValidRequests(run),
    isolationHeld(run),
    ...(run.inbound ? [inboundMailOnce(run)] : []),
    ...faultChecks,
  ];
  return { checks, info };
}

function prepare(input: VerifyInput): Run {
  const { ledger, snap, orgs, mail, hooks, faults } = input;
  const mailById = new Map<string, number[]>();
  for (const m of mail.accepted)
    if (m.notificationId) mailById.set(m.notificationId, [...(mailById.get(m.notificationId) ?? []), m.at]);
  const hookOk = hooks.hits.filter((h) => h.answered >= 200 && h.answered < 300);
  const hookByDelivery = new Map<string, number[]>();
  for (const h of hookOk)
    if (h.deliveryId) hookByDelivery.set(h.deliveryId, [...(hookByDelivery.get(h.deliveryId) ?? []), h.at]);
  const windows = faultWindows(faults);
  return {
    ...input,
    byRequest: new Map<string, WriteRec>(ledger.writes.map((w) => [w.requestId, w])),
    ticketsById: new Map(snap.tickets.map((t) => [t.id, t])),
    orgIdOf: (idx: number) => orgs[idx]!.id,
    mailById,
    hookOk,
    hookByDelivery,
    explained: (times: number[]) => windows.some(([from, to]) => times[0]! >= from && times[0]! <= to),
  };
}

// --- data --------------------------------------------------------------------------------------

/** Every acknowledged ticket is stored exactly once; nothing is stored that nobody asked for. */
function ticketsStoredOnce(input: Run): Check {
  const { ledger, snap, byRequest, orgIdOf, ticketsById } = input;
  const markerCount = new Map<string, number>();
  const phantom: string[] = [];
  for (const t of snap.tickets) {
    const m = MARKER.exec(t.subject)?.[0];
    if (!m || !byRequest.has(m)) phantom.push(`${t.id} "${t.subject}"`);
    if (m) markerCount.set(m, (markerCount.get(m) ?? 0) + 1);
  }
  const bad: string[] = [];
  let acked = 0;
  let unknownCommitted = 0;
  let unknown = 0;
  for (const w of ledger.writes.filter((x) => x.op === "ticket.create")) {
    const n = markerCount.get(w.requestId) ?? 0;
    if (n > 1) bad.push(`${w.requestId}: ${n} tickets`);
    if (w.outcome === "ack") {
      acked++;
      const row = w.ticketId ? ticketsById.get(w.ticketId) : undefined;
      if (!row) bad.push(`${w.requestId}: acknowledged ticket ${w.ticketId} missing`);
      else if (row.number !== w.number || row.org_id !== orgIdOf(w.orgIdx))
        bad.push(`${w.requestId}: number/org differ (answered #${w.number}, stored #${row.number})`);
    } else if (w.outcome === "refused" && n > 0) bad.push(`${w.requestId}: refused with ${w.status} but stored`);
    else if (w.outcome === "unknown") {
      unknown++;
      if (n > 0) unknownCommitted++;
    }
  }
  bad.push(...phantom.map((p) => `ticket nobody asked for: ${p}`));
  return {
    name: "every acknowledged ticket is stored exactly once",
    ok: bad.length === 0,
    detail: `${acked} acknowledged, ${snap.tickets.length} stored; ${unknown} with no answer or a 5xx (${unknownCommitted} of them committed)`,
    evidence: sample(bad),
  };
}

/** Ticket numbers are unique and gap-free per org. */
function numbersGapFree(input: Run): Check {
  const { snap, orgs } = input;
  const bad: string[] = [];
  const parts: string[] = [];
  for (const o of orgs) {
    const nums = snap.tickets
      .filter((t) => t.org_id === o.id)
      .map((t) => t.number)
      .sort((a, b) => a - b);
    const dup = nums.filter((n, i) => i > 0 && nums[i - 1] === n);
    const gaps: number[] = [];
    for (let i = 0, expect = 1; i < nums.length; i++, expect++)
      if (nums[i] !== expect) {
        gaps.push(expect);
        expect = nums[i]!;
      }
    if (dup.length) bad.push(`${o.slug}: duplicate numbers ${dup.slice(0, 5).join(", ")}`);
    if (gaps.length) bad.push(`${o.slug}: missing numbers ${gaps.slice(0, 5).join(", ")}`);
    parts.push(`${o.slug} 1..${nums.at(-1) ?? 0}`);
  }
  return {
    name: "ticket numbers are unique and gap-free per org",
    ok: bad.length === 0,
    detail: parts.join(", "),
    evidence: bad,
  };
}

/** Every acknowledged comment and note, and every opening message, is stored exactly once. */
function commentsStoredOnce(input: Run): Check {
  const { ledger, snap } = input;
  const byId = new Map(snap.comments.map((c) => [c.id, c]));
  const markerCount = new Map<string, number>();
  for (const c of snap.comments) {
    const m = MARKER.exec(c.body)?.[0];
    if (m) markerCount.set(m, (markerCount.get(m) ?? 0) + 1);
  }
  const bad: string[] = [];
  let acked = 0;
  let unknown = 0;
  let unknownCommitted = 0;
  for (const w of ledger.writes.filter((x) => x.op === "comment.public" || x.op === "comment.internal")) {
    const n = markerCount.get(w.requestId) ?? 0;
    if (n > 1) bad.push(`${w.requestId}: stored ${n} times`);
    if (w.outcome === "ack") {
      acked++;
      const row = w.commentId ? byId.get(w.commentId) : undefined;
      if (!row) bad.push(`${w.requestId}: acknowledged comment ${w.commentId} missing`);
      else if (row.ticket_id !== w.ticketId || row.internal !== Boolean(w.internal) || !row.body.includes(w.requestId))
        bad.push(`${w.requestId}: stored comment differs`);
    } else if (w.outcome === "refused" && n > 0) bad.push(`${w.requestId}: refused with ${w.status} but stored`);
    else if (w.outcome === "unknown") {
      unknown++;
      if (n > 0) unknownCommitted++;
    }
  }
  // Every stored ticket has its opening message, once.
  for (const t of snap.tickets) {
    const m = MARKER.exec(t.subject)?.[0];
    if (m && (markerCount.get(m) ?? 0) !== 1)
      bad.push(`ticket ${t.id}: opening message stored ${markerCount.get(m) ?? 0} times`);
  }
  return {
    name: "every acknowledged comment and note is stored exactly once",
    ok: bad.length === 0,
    detail: `${acked} acknowledged, ${snap.comments.length} stored (opening messages included); ${unknown} unanswered or 5xx (${unknownCommitted} committed)`,
    evidence: sample(bad),
  };
}

/** Each write is audited exactly once, with its action; a refused one not at all. */
function writesAuditedOnce(input: Run): Check {
  const { ledger, snap } = input;
  const count = new Map<string, { n: number; actions: Set<string> }>();
  for (const a of snap.audit) {
    if (!a.request_id) continue;
    const e = count.get(a.request_id) ?? { n: 0, actions: new Set<string>() };
    e.n++;
    e.actions.add(a.action);
    count.set(a.request_id, e);
  }
  const bad: string[] = [];
  let checked = 0;
  for (const w of ledger.writes) {
    const e = count.get(w.requestId);
    const n = e?.n ?? 0;
    const action = AUDIT_ACTION[w.op];
    if (n > 1) bad.push(`${w.requestId} (${w.op}): ${n} audit events`);
    if (e && action && !e.actions.has(action))
      bad.push(`${w.requestId}: audit action ${[...e.actions].join(",")} instead of ${action}`);
    if (w.outcome === "ack" && (w.op !== "ticket.update" || w.expectChange) && n !== 1)
      bad.push(`${w.requestId} (${w.op}, ${w.status}): ${n} audit events, expected 1`);
    if (w.outcome === "refused" && n !== 0) bad.push(`${w.requestId} (${w.op}, ${w.status}): refused but audited`);
    checked++;
  }
  return {
    name: "each write is in the audit log exactly once (by request id)",
    ok: bad.length === 0,
    detail: `${checked} writes checked against ${snap.audit.length} audit events`,
    evidence: sample(bad),
  };
}

/** Every ticket's status, priority and assignee are those of its last acknowledged write. */
function finalStateIsLastAcknowledged(input: Run): Check {
  const { ledger, ticketsById } = input;
  const bad: string[] = [];
  let fields = 0;
  let uncertain = 0;
  for (const t of ledger.tickets.values()) {
    const row = ticketsById.get(t.id);
    if (!row) continue; // reported above
    const stored = { status: row.status, priority: row.priority, assigneeId: row.assignee_id };
    for (const k of ["status", "priority", "assigneeId"] as const) {
      if (!t.certain[k]) {
        uncertain++;
        continue;
      }
      fields++;
      if (stored[k] !== t.state[k])
        bad.push(`ticket #${t.number} (${t.id}) ${k}: stored ${stored[k]}, last acknowledged ${t.state[k]}`);
    }
  }
  return {
    name: "every ticket's status, priority and assignee are those of its last acknowledged write",
    ok: bad.length === 0,
    detail: `${fields} fields checked on ${ledger.tickets.size} tickets${uncertain ? `; ${uncertain} left open by an unanswered write or hidden from the customer who wrote it` : ""}`,
    evidence: sample(bad),
  };
}

/** Each org's audit chain verifies and covers every stored event. */
function auditChainsVerify(input: Run): Check {
  const { snap, orgs } = input;
  const bad: string[] = [];
  for (const v of input.auditVerify) {
    const o = orgs.find((x) => x.slug === v.slug)!;
    const stored = snap.auditCounts.get(o.id) ?? 0;
    if (v.status !== 200 || !v.valid)
      bad.push(`${v.slug}: ${v.status} valid=${v.valid} firstBrokenSeq=${v.firstBrokenSeq}`);
    else if ((v.checked ?? 0) < stored) bad.push(`${v.slug}: checked ${v.checked} of ${stored} events`);
  }
  return {
    name: "each org's audit chain verifies (GET /api/v1/audit/verify)",
    ok: bad.length === 0 && input.auditVerify.length === orgs.length,
    detail: input.auditVerify.map((v) => `${v.slug} ${v.valid ? "valid" : "BROKEN"} checked=${v.checked}`).join(", "),
    evidence: bad,
  };
}

// --- notifications -----------------------------------------------------------------------------

/** Every SLA warning and breach was notified: one email per recipient, one webhook per event. */
function slaEventsNotified(input: Run): Check {
  const { snap, mailById, hookByDelivery } = input;
  const notifByKey = new Map<string, Snapshot["notifications"]>();
  for (const n of snap.notifications) {
    const key = n.idempotency_key.split(":")[0]!;
    notifByKey.set(key, [...(notifByKey.get(key) ?? []), n]);
  }
  const deliveriesByKey = new Map<string, Snapshot["deliveries"]>();
  for (const d of snap.deliveries)
    deliveriesByKey.set(d.idempotency_key, [...(deliveriesByKey.get(d.idempotency_key) ?? []), d]);
  const bad: string[] = [];
  let emails = 0;
  let hooksSeen = 0;
  const kinds = { warn: 0, breach: 0 };
  for (const e of snap.slaEvents) {
    kinds[e.kind as "warn" | "breach"]++;
    const kind = e.kind === "warn" ? "sla.warning" : "sla.breach";
    const key = eventKey({
      orgId: e.org_id,
      kind,
      ticketId: e.ticket_id,
      metric: e.metric as "first_response",
      dueAt: e.due_at.toISOString(),
    });
    const label = `${kind} ${e.metric} of ticket ${e.ticket_id.slice(0, 8)}`;
    const ns = notifByKey.get(key) ?? [];
    if (ns.length === 0) bad.push(`${label}: no notification`);
    for (const n of ns) {
      const sent = mailById.get(n.id) ?? [];
      if (!n.emailed_at)
        bad.push(`${label}: email to ${n.user_id.slice(0, 8)} not sent (${n.email_error ?? "no attempt"})`);
      if (sent.length === 0) bad.push(`${label}: SMTP server never accepted notification ${n.id}`);
      else emails++;
    }
    const ds = deliveriesByKey.get(key) ?? [];
    if (ds.length !== 1) bad.push(`${label}: ${ds.length} webhook deliveries`);
    for (const d of ds) {
      const got = hookByDelivery.get(d.id) ?? [];
      if (d.status !== "succeeded") bad.push(`${label}: webhook delivery ${d.status}`);
      if (got.length === 0) bad.push(`${label}: receiver never accepted delivery ${d.id}`);
      else hooksSeen++;
    }
  }
  return {
    name: "every SLA warning and breach was notified: one email per recipient, one webhook per event",
    ok: bad.length === 0 && snap.slaEvents.length > 0,
    detail: `${snap.slaEvents.length} SLA events (${kinds.warn} warnings, ${kinds.breach} breaches) → ${emails} emails, ${hooksSeen} webhook deliveries`,
    evidence: snap.slaEvents.length === 0 ? ["no SLA event was recorded during the run"] : sample(bad),
  };
}

/** Every notification email and webhook was accepted once; duplicates inside a fault window are resends. */
function deliveredOnce(input: Run): { check: Check; resends: string[] } {
  const { snap, mail, hooks, mailById, hookOk, hookByDelivery, explained } = input;
  const resends: string[] = [];
  const bad: string[] = [];
  let sent = 0;
  for (const n of snap.notifications) {
    const got = mailById.get(n.id) ?? [];
    if (!n.emailed_at) bad.push(`notification ${n.id} (${n.kind}) not emailed: ${n.email_error ?? "no attempt"}`);
    else if (got.length === 0)
      bad.push(`notification ${n.id} (${n.kind}) marked emailed, but the SMTP server has no such message`);
    else sent++;
  }
  for (const [what, byId] of [
    ["notification", mailById],
    ["webhook delivery", hookByDelivery],
  ] as const) {
    for (const [id, times] of byId) {
      if (times.length < 2) continue;
      const line = `${what} ${id} accepted ${times.length} times`;
      if (explained(times)) resends.push(`${line} (first copy inside a fault window)`);
      else bad.push(line);
    }
  }
  const unsigned = hooks.hits.filter((h) => !h.signatureValid).length;
  if (unsigned) bad.push(`${unsigned} webhook request(s) with a bad signature`);
  const check: Check = {
    name: "every notification email and webhook was accepted exactly once (by idempotency key)",
    ok: bad.length === 0,
    detail: `${snap.notifications.length} notifications, ${sent} emailed once; SMTP accepted ${mail.accepted.length} of ${mail.attempts()} attempts; webhooks ${hookOk.length} accepted of ${hooks.hits.length} requests, all signed`,
    evidence: sample(bad),
  };
  return { check, resends };
}

/**
 * Inbound mail (issue 12 item 9): every message the receivers or the webhook accepted (250 / 2xx),
 * after whatever retries the faults caused, is exactly one applied ticket or comment (by
 * Message-ID); none stored that was not sent; none refused for good or given up on.
 */
function inboundMailOnce({ inbound }: Run): Check {
  const name = "every accepted inbound message (SMTP and webhook, retried through the faults) is one ticket or comment";
  const { sends, state } = inbound!;
  if ("error" in state) return { name, ok: false, detail: `could not read the intake: ${state.error}` };
  const bad: string[] = [];
  const rows = new Map<string, InboundState["messages"]>();
  for (const m of state.messages) {
    const k = m.message_id ? normalizeMessageId(m.message_id) : "(none)";
    rows.set(k, [...(rows.get(k) ?? []), m]);
  }
  const sent = new Set(sends.map((s) => normalizeMessageId(s.messageId)));
  let tickets = 0;
  let replies = 0;
  for (const s of sends) {
    const k = normalizeMessageId(s.messageId);
    const stored = rows.get(k) ?? [];
    const made = state.commentsByMessageId.get(k) ?? 0;
    if (s.outcome !== "accepted") {
      // Never accepted: it must not be half there either (stored but not applied, or applied twice).
      if (made > 1) bad.push(`${s.messageId} (${s.via}, never accepted: ${s.refusals.join(",")}): ${made} comments`);
      bad.push(
        `${s.messageId} (${s.via}) ${s.outcome === "refused" ? "refused for good" : "given up on at the deadline"} after ${s.attempts} attempts: ${[...s.refusals].join(", ")}`,
      );
      continue;
    }
    if (stored.length !== 1) bad.push(`${s.messageId} (${s.via}): accepted, ${stored.length} intake rows`);
    const row = stored[0];
    if (row && (row.status !== "applied" || (row.outcome !== "ticket" && row.outcome !== "reply")))
      bad.push(
        `${s.messageId} (${s.via}): accepted, but ${row.status}${row.outcome ? `/${row.outcome}` : ""}${row.error ? `: ${row.error.slice(0, 120)}` : ""}`,
      );
    if (made !== 1)
      bad.push(
        `${s.messageId} (${s.via}): accepted, ${made === 0 ? "LOST (no ticket or comment)" : `DOUBLED (${made} comments)`}`,
      );
    if (row?.outcome === "ticket") tickets++;
    if (row?.outcome === "reply") replies++;
  }
  for (const k of rows.keys()) if (!sent.has(k)) bad.push(`intake row for a Message-ID nobody sent: ${k}`);
  const accepted = sends.filter((s) => s.outcome === "accepted");
  const retried = accepted.filter((s) => s.refusals.length > 0);
  const answers = new Map<string, number>();
  for (const s of sends)
    for (const r of s.refusals) answers.set(`${s.via} ${r}`, (answers.get(`${s.via} ${r}`) ?? 0) + 1);
  return {
    name,
    ok: bad.length === 0 && accepted.length > 0 && state.pending === 0,
    detail:
      `${sends.length} sent (${sends.filter((s) => s.via === "smtp").length} SMTP, ${sends.filter((s) => s.via === "webhook").length} webhook), ${accepted.length} accepted → ${tickets} tickets + ${replies} replies; ` +
      `${retried.length} accepted only after a retry (${[...answers].map(([k, n]) => `${k} ×${n}`).join(", ") || "nothing refused"}); ${state.pending} still waiting to be applied`,
    evidence: sample(bad),
  };
}

/** Job queues drained with no dead letters. */
function queuesDrained(input: Run): Check {
  const { snap } = input;
  const dead = snap.jobs.filter((j) => j.name.endsWith("-dead")).reduce((a, j) => a + j.count, 0);
  const failed = snap.jobs.filter((j) => j.state === "failed").reduce((a, j) => a + j.count, 0);
  const deadMail = snap.notifications.filter((n) => n.email_error?.startsWith("dead letter")).length;
  const deadHooks = snap.deliveries.filter((d) => d.status === "dead").length;
  return {
    name: "job queues drained with no dead letters",
    ok: snap.drained && dead === 0 && deadMail === 0 && deadHooks === 0,
    detail: snap.drained
      ? `drained; ${failed} job(s) failed for good, ${dead} dead letter(s)`
      : `NOT drained: ${snap.pendingJobs} job(s) still waiting`,
    evidence: snap.jobs.filter((j) => j.state !== "completed").map((j) => `${j.name} ${j.state} ${j.count}`),
  };
}

// --- HTTP answers ------------------------------------------------------------------------------

/** The database restart, when it ran; answers inside [stopAt, graceUntil] may be a clean 503. */
function dbOutage(faults: FaultResults) {
  return faults.dbRestart && "stopAt" in faults.dbRestart ? faults.dbRestart : null;
}

/** No 5xx, hang or dropped connection, except clean 503 JSON while the database was down. */
function no5xxOrHang(input: Run): Check {
  const { ledger, faults } = input;
  const db = dbOutage(faults);
  const inDbWindow = (t: number) => db !== null && t >= db.stopAt && t <= db.graceUntil;
  const bad: string[] = [];
  let clean503 = 0;
  for (const c of ledger.calls) {
    if (c.status === 0) bad.push(`${c.op} ${c.requestId}: no answer (${c.error})`);
    else if (c.status >= 500) {
      if (c.status === 503 && c.code === "unavailable" && inDbWindow(c.endedAt)) clean503++;
      else
        bad.push(
          `${c.op} ${c.requestId}: ${c.status} ${c.code ?? ""}${inDbWindow(c.endedAt) ? " (during the database outage)" : ""}`,
        );
    } else if (c.ms > input.hangMs) bad.push(`${c.op} ${c.requestId}: took ${c.ms} ms`);
  }
  for (const e of input.proxyErrors) bad.push(`proxy → ${e.backend}: ${e.error}`);
  return {
    name: "no 5xx, hang or dropped connection, except clean 503 JSON while the database was down",
    ok: bad.length === 0,
    detail: `${ledger.calls.length} requests; ${clean503} clean 503 (unavailable) during the outage`,
    evidence: sample(bad),
  };
}

/** No 4xx for the valid requests of the load. */
function no4xxForValidRequests(input: Run): Check {
  const { ledger } = input;
  const fourxx = ledger.calls.filter((c) => c.status >= 400 && c.status < 500);
  const by = new Map<string, number>();
  for (const c of fourxx)
    by.set(`${c.op} ${c.status} ${c.code ?? ""}`, (by.get(`${c.op} ${c.status} ${c.code ?? ""}`) ?? 0) + 1);
  return {
    name: "no 4xx for the valid requests of the load (no spurious 409, 429, 404)",
    ok: fourxx.length === 0,
    detail: `${fourxx.length} 4xx answers`,
    evidence: [...by].map(([k, n]) => `${k}: ${n}`),
  };
}

/** Isolation held under load. */
function isolationHeld({ ledger }: Run): Check {
  return {
    name: "isolation held under load (no other org's ticket, no other requester's, no internal note for customers)",
    ok: ledger.isolation.length === 0,
    detail: `${ledger.isolation.length} problem(s)`,
    evidence: sample(ledger.isolation),
  };
}

// --- faults ------------------------------------------------------------------------------------

/** kill -9 of a worker mid-send: its jobs were retried and completed by the other worker. */
function workerKillRecovered({ faults }: Run): Check {
  if (!faults.workerKill)
    return {
      name: "kill -9 of a worker mid-send",
      ok: false,
      detail: "the fault did not run",
      evidence: faults.errors,
    };
  const k = faults.workerKill;
  const bad: string[] = [];
  if (k.orphans.length === 0) bad.push("no job of worker-2 was caught in flight; the fault proved nothing");
  for (const o of k.orphansFinal) {
    if (o.state !== "completed") bad.push(`${o.name} job ${o.id}: ${o.state}`);
    else if (o.retryCount < 1) bad.push(`${o.name} job ${o.id}: completed without a retry (so not after the kill?)`);
  }
  const by = (o: JobRef) =>
    o.completedOn && k.restartedAt && Date.parse(o.completedOn) > k.restartedAt
      ? "by worker-1 or the restarted worker-2"
      : "by worker-1 while worker-2 was down";
  if (k.orphansFinal.length !== k.orphans.length)
    bad.push(`${k.orphans.length - k.orphansFinal.length} orphaned job(s) not found again`);
  return {
    name: "kill -9 of a worker mid-send: its jobs were retried and completed by the other worker",
    ok: bad.length === 0,
    detail: `${k.heldAtKill} message(s) held in SMTP at the kill, ${k.activeAtKill.length} job(s) active, ${k.orphans.length} orphaned: ${k.orphansFinal.map((o) => `${o.name} active → ${o.state} after ${o.retryCount} retr${o.retryCount === 1 ? "y" : "ies"}${o.state === "completed" ? ` ${by(o)}` : ""}`).join(", ") || "none"}`,
    evidence: bad,
  };
}

/** PostgreSQL restart: /readyz 503 on both apps during the outage and 200 after; /healthz 200 throughout. */
function databaseRestartObserved({ faults }: Run): Check | Skipped {
  if (faults.dbRestart && "skipped" in faults.dbRestart)
    return { skipped: `Database restart skipped: ${faults.dbRestart.skipped}.` };
  const db = dbOutage(faults);
  if (!db) return { name: "PostgreSQL restart", ok: false, detail: "the fault did not run", evidence: faults.errors };
  const bad: string[] = [];
  for (const p of db.apps) {
    if (!p.first503At) bad.push(`${p.app}: /readyz never answered 503 while PostgreSQL was down`);
    if (!p.healthz200During) bad.push(`${p.app}: /healthz did not answer 200 while PostgreSQL was down`);
    if (!p.back200At) bad.push(`${p.app}: /readyz did not return to 200`);
  }
  return {
    name: "PostgreSQL restart: /readyz 503 on both apps during the outage and 200 after; /healthz 200 throughout",
    ok: bad.length === 0,
    detail: `down ${((db.startAt - db.stopAt) / 1000).toFixed(1)} s; ready again ${db.upAt ? `${((db.upAt - db.startAt) / 1000).toFixed(1)} s after the start` : "never"}`,
    evidence: bad,
  };
}

/** Redis stopped and started: limits shared with it, per-process without it, no request failed because of it. */
function redisOutageHarmless({ faults, ledger }: Run): Check | Skipped {
  if (faults.redis && "skipped" in faults.redis) return { skipped: `Redis fault skipped: ${faults.redis.skipped}.` };
  if (!faults.redis) return { name: "Redis stop", ok: false, detail: "the fault did not run", evidence: faults.errors };
  const r = faults.redis;
  const to = (r.startAt ?? Date.now()) + REDIS_RECONNECT_MS;
  const during = ledger.calls.filter((c) => c.endedAt >= r.stopAt && c.startedAt <= to);
  const failedDuring = during.filter((c) => c.status === 0 || c.status >= 500 || c.status === 429);
  const bad = [
    ...r.probes.filter((p) => !p.ok).map((p) => `${p.label}: got ${p.statuses.join(" ")}, expected ${p.expectation}`),
    ...failedDuring.map((c) => `${c.op} ${c.status} while Redis was down`),
  ];
  return {
    name: "Redis stopped and started: limits shared with it, per-process without it, no request failed because of it",
    ok: bad.length === 0 && r.startAt !== null,
    detail: `${during.length} requests while Redis was down, ${failedDuring.length} failed; probes ${r.probes.map((p) => `[${p.statuses.join(" ")}]`).join(" ")}`,
    evidence: sample(bad),
  };
}

/** SMTP and webhook receiver down, then up: mail and webhooks delivered late, once. */
function smtpOutageDeliveredLate({ faults, snap }: Run): Check {
  if (!faults.smtpOutage)
    return { name: "SMTP outage", ok: false, detail: "the fault did not run", evidence: faults.errors };
  const o = faults.smtpOutage;
  const late = snap.notifications.filter((n) => n.emailed_at && n.email_attempts > 1);
  const lateHooks = snap.deliveries.filter((d) => d.status === "succeeded" && d.attempts > 1);
  const delays = late.map((n) => Math.max(0, n.emailed_at!.getTime() - o.downAt));
  return {
    name: "SMTP and webhook receiver down, then up: mail and webhooks delivered late, once",
    ok: late.length > 0,
    detail: `down ${((o.upAt - o.downAt) / 1000).toFixed(0)} s; ${late.length} email(s) delivered after failed attempts (latest ${delays.length ? (Math.max(...delays) / 1000).toFixed(0) : "-"} s after the outage began), ${lateHooks.length} webhook(s) likewise; duplicates are checked above`,
    evidence: late.length ? [] : ["no email failed during the outage, so the outage proved nothing"],
  };
}

/** Windows in which a duplicate delivery is the documented at-least-once case, not a bug. */
function faultWindows(f: FaultResults): [number, number][] {
  const w: [number, number][] = [];
  if (f.workerKill) w.push([f.workerKill.at - 1_000, f.workerKill.at + 1_000]);
  const db = dbOutage(f);
  if (db) w.push([db.stopAt - 1_000, db.upAt ?? db.graceUntil]);
  return w;
}
