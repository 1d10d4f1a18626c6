// Virtual agents and customers working through the proxy for a fixed time, and the ledger of what
// they were told: every write with its outcome (2xx acknowledged, 4xx refused, anything else
// unknown), so the verifier can hold the database to it afterwards.
//
// Writes are never retried (the API has no Idempotency-Key, so a retried POST after a lost
// response could create a second ticket); reads are retried on 503. Writes to one ticket are
// serialised by the harness, so the ticket's final state can be predicted from the answers.
import { HttpClient, errorCode, type Res } from "./client";
import type { ClusterOrg, ClusterUser } from "./setup";
import { sleep } from "./procs";

export type Op =
  | "ticket.create"
  | "comment.public"
  | "comment.internal"
  | "ticket.update"
  | "tickets.list"
  | "ticket.get"
  | "comments.list";

export type Call = {
  vu: string;
  op: Op;
  status: number;
  code?: string;
  ms: number;
  startedAt: number;
  endedAt: number;
  error?: string;
  requestId: string;
  attempt: number;
};

export type Outcome = "ack" | "refused" | "unknown";
const outcomeOf = (status: number): Outcome =>
  status >= 200 && status < 300 ? "ack" : status >= 400 && status < 500 ? "refused" : "unknown";

type Snap = { status: string; priority: string; assigneeId: string | null };

export type WriteRec = {
  op: Op;
  vu: string;
  role: ClusterUser["role"];
  orgIdx: number;
  requestId: string;
  status: number;
  outcome: Outcome;
  startedAt: number;
  endedAt: number;
  ticketId?: string;
  number?: number;
  commentId?: string;
  internal?: boolean;
  patch?: Partial<Snap>;
  /** The ticket as the PATCH answered it. */
  after?: Snap;
  /** The PATCH changed something according to the harness's model (so an audit event must exist). */
  expectChange?: boolean;
};

export type TicketModel = {
  id: string;
  orgIdx: number;
  number: number;
  requesterId: string;
  createRequestId: string;
  state: Snap;
  certain: Record<keyof Snap, boolean>;
  busy: boolean;
  writes: WriteRec[];
};

export type Ledger = {
  calls: Call[];
  writes: WriteRec[];
  tickets: Map<string, TicketModel>;
  isolation: string[];
};

export type LoadOptions = {
  proxyUrl: string;
  orgs: ClusterOrg[];
  durationMs: number;
  thinkMs: [number, number];
  requestTimeoutMs: number;
};

const STAFF_STATUSES = ["open", "pending", "on_hold", "solved"] as const;
const PRIORITIES = ["low", "normal", "high", "urgent"] as const;

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

export function newLedger(): Ledger {
  return { calls: [], writes: [], tickets: new Map(), isolation: [] };
}

/** Runs every virtual user until the duration is over; resolves when the last one has stopped. */
export async function runLoad(opts: LoadOptions, ledger: Ledger, signal: { stopped: boolean }): Promise<void> {
  const endAt = Date.now() + opts.durationMs;
  const users = opts.orgs.flatMap((o) => [...o.agents, ...o.customers]);
  let ipSeq = 10;
  const vus = users.map((u) => new VirtualUser(u, opts, ledger, new HttpClient(opts.proxyUrl, `127.0.0.${ipSeq++}`)));
  await Promise.all(
    vus.map(async (vu, i) => {
      // Stagger the start so the users do not move in lockstep.
      await sleep((i * opts.thinkMs[1]) / vus.length);
      while (Date.now() < endAt && !signal.stopped) {
        await sleep(opts.thinkMs[0] + Math.random() * (opts.thinkMs[1] - opts.thinkMs[0]));
        if (Date.now() >= endAt || signal.stopped) break;
        try {
          await vu.act();
        } catch (err) {
          ledger.isolation.push(`harness error in ${vu.name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      vu.close();
    }),
  );
}

class VirtualUser {
  readonly name: string;
  private readonly org: ClusterOrg;
  private readonly staffIds: string[];

  constructor(
    private readonly user: ClusterUser,
    private readonly opts: LoadOptions,
    private readonly ledger: Ledger,
    private readonly http: HttpClient,
  ) {
    this.name = user.email;
    this.org = opts.orgs[user.orgIdx]!;
    this.staffIds = [this.org.admin.id, ...this.org.agents.map((a) => a.id)];
  }

  close(): void {
    this.http.close();
  }

  private get staff(): boolean {
    return this.user.role !== "customer";
  }

  /** Tickets this user may write to that no other user is writing to right now. */
  private freeTickets(): TicketModel[] {
    const out: TicketModel[] = [];
    for (const t of this.ledger.tickets.values()) {
      if (t.orgIdx !== this.user.orgIdx || t.busy) continue;
      if (!this.staff && t.requesterId !== this.user.id) continue;
      out.push(t);
    }
    return out;
  }

  async act(): Promise<void> {
    const r = Math.random();
    if (this.staff) {
      if (r < 0.05) return this.createTicket(pick(this.org.customers).id);
      if (r < 0.33) return this.withTicket((t) => this.comment(t, false));
      if (r < 0.48) return this.withTicket((t) => this.comment(t, true));
      if (r < 0.72) return this.takeOrUpdate();
      if (r < 0.9) return this.list();
      return this.read();
    }
    if (r < 0.12 || this.freeTickets().length === 0) return this.createTicket();
    if (r < 0.6) return this.withTicket((t) => this.comment(t, false));
    if (r < 0.68) return this.withTicket((t) => this.update(t));
    if (r < 0.85) return this.list();
    return this.read();
  }

  /** Agents mostly take unassigned tickets (assign to self, open), as a triaging team does. */
  private takeOrUpdate(): Promise<void> {
    const unassigned = this.freeTickets().filter((t) => t.certain.assigneeId && t.state.assigneeId === null);
    if (unassigned.length && Math.random() < 0.6) {
      return this.withTicket((t) => this.update(t, { assigneeId: this.user.id, status: "open" }), unassigned);
    }
    return this.withTicket((t) => this.update(t));
  }

  private async withTicket(fn: (t: TicketModel) => Promise<void>, among?: TicketModel[]): Promise<void> {
    const free = among ?? this.freeTickets();
    if (free.length === 0) return this.list();
    const t = pick(free);
    t.busy = true;
    try {
      await fn(t);
    } finally {
      t.busy = false;
    }
  }

  private call(op: Op, method: string, path: string, body?: unknown, attempt = 1, requestId?: string): Promise<Res> {
    return this.http
      .request(method, path, { token: this.user.token, body, timeoutMs: this.opts.requestTimeoutMs, requestId })
      .then((res) => {
        this.ledger.calls.push({
          vu: this.name,
          op,
          status: res.status,
          code: errorCode(res.body),
          ms: res.ms,
          startedAt: res.startedAt,
          endedAt: res.endedAt,
          error: res.error,
          requestId: res.requestId,
          attempt,
        });
        return res;
      });
  }

  /** Reads are idempotent: retried on 503 (the database restart), at most 4 times. */
  private async read503(op: Op, path: string): Promise<Res> {
    let res = await this.call(op, "GET", path);
    for (let attempt = 2; attempt <= 4 && res.status === 503; attempt++) {
      await sleep(1_000);
      res = await this.call(op, "GET", path, undefined, attempt);
    }
    return res;
  }

  private record(op: Op, res: Res, extra: Partial<WriteRec>): WriteRec {
    const w: WriteRec = {
      op,
      vu: this.name,
      role: this.user.role,
      orgIdx: this.user.orgIdx,
      requestId: res.requestId,
      status: res.status,
      outcome: outcomeOf(res.status),
      startedAt: res.startedAt,
      endedAt: res.endedAt,
      ...extra,
    };
    this.ledger.writes.push(w);
    return w;
  }

  private async createTicket(requesterId?: string): Promise<void> {
    const requestId = newRequestId(this.name);
    // Priority is staff-only on a new ticket (decision 016): customers get the default.
    const body = {
      subject: `Cluster ticket ${requestId}`,
      body: `Opened by ${this.name} under load.\n\nmarker ${requestId}`,
      ...(this.staff ? { priority: pick(PRIORITIES) } : {}),
      ...(requesterId ? { requesterId } : {}),
    };
    const res = await this.call("ticket.create", "POST", "/api/v1/tickets", body, 1, requestId);
    const t = res.body as {
      id?: string;
      number?: number;
      status?: string;
      priority?: string;
      assigneeId?: string | null;
      requesterId?: string;
    } | null;
    const w = this.record("ticket.create", res, res.status === 201 ? { ticketId: t?.id, number: t?.number } : {});
    if (res.status === 201 && t?.id) {
      this.ledger.tickets.set(t.id, {
        id: t.id,
        orgIdx: this.user.orgIdx,
        number: Number(t.number),
        requesterId: t.requesterId ?? requesterId ?? this.user.id,
        createRequestId: requestId,
        // A customer's response is the customer view (decision 026): no priority or assignee, so
        // those stay unknown until a staff write answers with them.
        state: { status: String(t.status), priority: String(t.priority), assigneeId: t.assigneeId ?? null },
        certain: { status: true, priority: t.priority !== undefined, assigneeId: t.assigneeId !== undefined },
        busy: false,
        writes: [w],
      });
    }
  }

  private async comment(t: TicketModel, internal: boolean): Promise<void> {
    if (internal && !this.staff) return;
    const requestId = newRequestId(this.name);
    const op: Op = internal ? "comment.internal" : "comment.public";
    const res = await this.call(
      op,
      "POST",
      `/api/v1/tickets/${t.id}/comments`,
      { body: `${internal ? "Note" : "Reply"} from ${this.name}: marker ${requestId}`, internal },
      1,
      requestId,
    );
    const c = res.body as { id?: string } | null;
    const w = this.record(op, res, { ticketId: t.id, internal, ...(res.status === 201 ? { commentId: c?.id } : {}) });
    t.writes.push(w);
    const effect = (s: Snap) =>
      !internal && this.staff && s.status === "new"
        ? "open"
        : !internal && !this.staff && (s.status === "pending" || s.status === "solved")
          ? "open"
          : s.status;
    if (w.outcome === "ack") {
      if (t.certain.status) t.state.status = effect(t.state);
    } else if (w.outcome === "unknown" && t.certain.status && effect(t.state) !== t.state.status) {
      t.certain.status = false;
    }
  }

  private async update(t: TicketModel, given?: Partial<Snap>): Promise<void> {
    const patch: Partial<Snap> = { ...given };
    if (given) {
      if (t.state.status === "open") delete patch.status;
    } else if (this.staff) {
      const fields = pick([
        ["status"],
        ["priority"],
        ["assigneeId"],
        ["status", "assigneeId"],
        ["priority", "status"],
      ] as const);
      for (const f of fields) {
        if (f === "status") patch.status = pick(STAFF_STATUSES.filter((s) => s !== t.state.status));
        if (f === "priority") patch.priority = pick(PRIORITIES.filter((p) => p !== t.state.priority));
        if (f === "assigneeId")
          patch.assigneeId = pick([...this.staffIds, null].filter((a) => a !== t.state.assigneeId));
      }
    } else {
      // Customers may mark their ticket solved, or reopen a solved one.
      patch.status = t.state.status === "solved" ? "open" : "solved";
    }
    const expectChange = (Object.keys(patch) as (keyof Snap)[]).some((k) => t.certain[k] && patch[k] !== t.state[k]);
    const requestId = newRequestId(this.name);
    const res = await this.call("ticket.update", "PATCH", `/api/v1/tickets/${t.id}`, patch, 1, requestId);
    const after = res.status === 200 ? (res.body as Snap) : undefined;
    const w = this.record("ticket.update", res, {
      ticketId: t.id,
      patch,
      expectChange,
      ...(after ? { after: { status: after.status, priority: after.priority, assigneeId: after.assigneeId } } : {}),
    });
    t.writes.push(w);
    if (after) {
      // Fields the customer view hides were not changed by a customer's write: keep what was known.
      const seen = (k: keyof Snap) => after[k] !== undefined;
      t.state = {
        status: after.status,
        priority: seen("priority") ? after.priority : t.state.priority,
        assigneeId: seen("assigneeId") ? after.assigneeId : t.state.assigneeId,
      };
      t.certain = {
        status: true,
        priority: seen("priority") || t.certain.priority,
        assigneeId: seen("assigneeId") || t.certain.assigneeId,
      };
    } else if (w.outcome === "unknown") {
      for (const k of Object.keys(patch) as (keyof Snap)[]) t.certain[k] = false;
    }
  }

  private async list(): Promise<void> {
    const res = await this.read503("tickets.list", "/api/v1/tickets?limit=25");
    if (res.status !== 200) return;
    const rows = (res.body as { data?: { id: string; requesterId: string }[] }).data ?? [];
    for (const row of rows) {
      const known = this.ledger.tickets.get(row.id);
      if (known && known.orgIdx !== this.user.orgIdx)
        this.ledger.isolation.push(`${this.name} saw ticket ${row.id} of another org`);
      if (!this.staff && row.requesterId !== this.user.id)
        this.ledger.isolation.push(`customer ${this.name} saw ticket ${row.id} of another requester`);
    }
  }

  private async read(): Promise<void> {
    const mine = [...this.ledger.tickets.values()].filter(
      (t) => t.orgIdx === this.user.orgIdx && (this.staff || t.requesterId === this.user.id),
    );
    if (mine.length === 0) return this.list();
    const t = pick(mine);
    const res = await this.read503("ticket.get", `/api/v1/tickets/${t.id}`);
    if (res.status !== 200) return;
    const comments = await this.read503("comments.list", `/api/v1/tickets/${t.id}/comments?limit=100`);
    if (comments.status === 200 && !this.staff) {
      const rows = (comments.body as { data?: { internal: boolean }[] }).data ?? [];
      if (rows.some((c) => c.internal))
        this.ledger.isolation.push(`customer ${this.name} was shown an internal note on ${t.id}`);
    }
  }
}

let seq = 0;
function newRequestId(vu: string): string {
  return `cl-${vu.replace(/[^A-Za-z0-9]/g, "").slice(0, 24)}-${(++seq).toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
