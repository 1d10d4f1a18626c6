import "server-only";
import { randomBytes, randomUUID } from "node:crypto";
import { inArray, sql } from "drizzle-orm";
import type { PgInsertValue } from "drizzle-orm/pg-core";
import { unsafeWithSystem, type Tx } from "../db/tenant";
import { orgs } from "../db/schema/orgs";
import { users } from "../db/schema/users";
import { attachments, comments, tickets } from "../db/schema/tickets";
import { calendars, slaEvents, slaPolicies } from "../db/schema/sla";
import { emailAddresses } from "../db/schema/email";
import type { TicketPriority } from "../db/schema/enums";
import { env } from "../env";
import { hashPassword } from "../auth/password";
import { defaultSlaRows } from "../provisioning/bootstrap-org";
import { automations } from "../db/schema/automation";
import { defaultAutomationRows } from "../automation/defaults";
import { DEMO_ORGS, DEMO_ROLES, DEMO_SCENARIOS, type DemoOrgSpec, type DemoScenario } from "./demo-content";

export type SeedResult = { seeded: boolean; summary: string; generatedPassword?: string };

export const DEMO_SLUGS = DEMO_ORGS.map((o) => o.slug);

export function demoEmails(): string[] {
  return DEMO_ORGS.flatMap((o) => DEMO_ROLES.map((r) => `${r.local}@${o.slug}.test`));
}

/** What start and db:seed print; never the password itself when it came from the environment. */
export function demoSignIns(password?: string): { emails: string[]; passwordHint: string } {
  return {
    emails: demoEmails(),
    passwordHint: password
      ? "password: the DEMO_PASSWORD you set"
      : "password: printed when the demo data was first seeded (set DEMO_PASSWORD to choose one)",
  };
}

function refuseInProduction(): void {
  if (env().NODE_ENV === "production") {
    throw new Error(
      "Refusing to seed demo data in production (NODE_ENV=production); use npm run bootstrap to create a real organization",
    );
  }
}

const countOrgs = async (tx: Tx) => (await tx.select({ n: sql<number>`count(*)::int` }).from(orgs))[0]!.n;
/** Every org counts (the system role): the demo goes only into a database with none. */
const unsafeCountAllOrgs = () => unsafeWithSystem(countOrgs);
/** The demo rows of whole orgs, as the system role (the orgs are new: no tenant to enter yet). */
const unsafeInsertDemoData = (data: DemoData) => unsafeWithSystem((tx) => insertDemoData(tx, data));

// Serialises concurrent seeders (two `npm start` at once) so the emptiness check holds.
const SEED_LOCK = 0x6265_6163; // "beac"

/** Seeds the demo only into a database without any org (start calls this on every boot). */
export async function seedDemoIfEmpty(opts: { password?: string }): Promise<SeedResult> {
  refuseInProduction();
  if ((await unsafeCountAllOrgs()) > 0) return { seeded: false, summary: "the database already has organizations" };
  return unsafeSeed(opts, "if-empty");
}

/** db:seed --reset: deletes the demo orgs by slug with everything in them and seeds them again, in one transaction. */
export async function resetDemo(opts: { password?: string }): Promise<SeedResult> {
  refuseInProduction();
  return unsafeSeed(opts, "replace");
}

async function unsafeSeed(opts: { password?: string }, mode: "if-empty" | "replace"): Promise<SeedResult> {
  const generatedPassword = opts.password ? undefined : randomBytes(18).toString("base64url");
  // argon2 is deliberately slow: one hash, shared by every demo user.
  const passwordHash = await hashPassword(opts.password ?? generatedPassword!);
  const data = buildDemoData(new Date(), passwordHash);
  const done = await unsafeWithSystem(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SEED_LOCK})`);
    if (mode === "if-empty" && (await countOrgs(tx)) > 0) return false;
    if (mode === "replace") await deleteDemoOrgs(tx);
    await insertDemoData(tx, data);
    return true;
  });
  if (!done) return { seeded: false, summary: "the database already has organizations" };
  const summary = `${data.orgs.length} orgs, ${data.users.length} users, ${data.tickets.length} tickets, ${data.comments.length} comments`;
  return { seeded: true, summary, generatedPassword };
}

/** Writes built demo rows (one org or several) with their support addresses and default rules. */
async function insertDemoData(tx: Tx, data: DemoData): Promise<void> {
  await tx.insert(orgs).values(data.orgs);
  // support@acme.test, support@globex.test (SPEC §11): mail sent there opens tickets in that org.
  await tx.insert(emailAddresses).values(
    data.orgs.map((o) => ({
      orgId: o.id!,
      address: `support@${o.slug}.test`,
      displayName: `${o.name}`,
      isDefault: true,
    })),
  );
  await tx.insert(users).values(data.users);
  await tx.insert(calendars).values(data.calendars);
  await tx.insert(slaPolicies).values(data.policies);
  await tx.insert(automations).values(data.orgs.flatMap((o) => defaultAutomationRows(o.id as string)));
  await tx.insert(tickets).values(data.tickets);
  await tx.insert(comments).values(data.comments);
  await tx.insert(slaEvents).values(data.slaEvents);
  // Search vectors come from the triggers; the first SLA scan looks at every open ticket once
  // and from then on only when its next warning or due time comes.
  await tx.execute(sql`insert into sla_checks (org_id, ticket_id, next_check_at) select org_id, id, now() from tickets
    where org_id in ${sql`(${sql.join(
      data.orgs.map((o) => sql`${o.id}::uuid`),
      sql`, `,
    )})`} and status not in ('solved', 'closed')`);
}

/**
 * One more org shaped like the first demo org (Acme's people, tickets, SLA and rules) under a new
 * slug: `admin@<slug>.test` … `customer2@<slug>.test`, `support@<slug>.test`. The e2e harness
 * (scripts/test-e2e.ts) gives every Playwright test its own org this way (decision 049). It takes
 * a password hash made once by the caller (argon2 is slow on purpose) and no production check:
 * the harness serves the app with NODE_ENV=production, and nothing else calls it.
 */
export async function insertDemoOrgCopy(opts: {
  slug: string;
  name: string;
  passwordHash: string;
}): Promise<{ id: string; slug: string; name: string }> {
  const spec: DemoOrgSpec = { ...DEMO_ORGS[0]!, slug: opts.slug, name: opts.name };
  const built = buildOrg(spec, new Date(), opts.passwordHash);
  const data: DemoData = {
    orgs: [built.org],
    users: built.users,
    calendars: [built.calendar],
    policies: built.policies,
    tickets: built.tickets,
    comments: built.comments,
    slaEvents: built.slaEvents,
  };
  await unsafeInsertDemoData(data);
  return { id: built.org.id, slug: opts.slug, name: opts.name };
}

/**
 * Deleting an org row alone trips the NO ACTION foreign keys into users and calendars (their
 * checks can run before the cascade reaches the referencing rows), so the referencing tables go first.
 */
async function deleteDemoOrgs(tx: Tx): Promise<void> {
  const ids = (
    await tx
      .select({ id: orgs.id })
      .from(orgs)
      .where(inArray(sql`lower(${orgs.slug})`, DEMO_SLUGS))
  ).map((o) => o.id);
  if (ids.length === 0) return;
  for (const table of [attachments, comments, tickets, slaPolicies] as const) {
    await tx.delete(table).where(inArray(table.orgId, ids));
  }
  await tx.delete(orgs).where(inArray(orgs.id, ids));
}

// ── building the rows (pure apart from ids and `now`) ────────────────────────

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

type Rnd = () => number;

/** mulberry32: small, fast and the same sequence for the same seed on every machine. */
function prng(seedText: string): Rnd {
  let a = 2166136261;
  for (const ch of seedText) a = Math.imul(a ^ ch.charCodeAt(0), 16777619);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (rnd: Rnd, lo: number, hi: number) => lo + rnd() * (hi - lo);
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/**
 * Safe HTML for seed bodies: escape first, then turn the two inline marks the demo texts use
 * (**bold**, `code`) into tags. Only escaped text ever lands inside them.
 */
export function seedBodyHtml(markdown: string): string {
  return markdown
    .split(/\n{2,}/)
    .map((p) => {
      const html = escapeHtml(p.trim())
        .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
        .replace(/`([^`]+)`/g, "<code>$1</code>")
        .replace(/\n/g, "<br>");
      return `<p>${html}</p>`;
    })
    .join("\n");
}

export type DemoData = ReturnType<typeof buildDemoData>;

export function buildDemoData(now: Date, passwordHash: string) {
  const out = {
    orgs: [] as PgInsertValue<typeof orgs>[],
    users: [] as PgInsertValue<typeof users>[],
    calendars: [] as PgInsertValue<typeof calendars>[],
    policies: [] as PgInsertValue<typeof slaPolicies>[],
    tickets: [] as PgInsertValue<typeof tickets>[],
    comments: [] as PgInsertValue<typeof comments>[],
    slaEvents: [] as PgInsertValue<typeof slaEvents>[],
  };
  for (const spec of DEMO_ORGS) {
    const org = buildOrg(spec, now, passwordHash);
    out.orgs.push(org.org);
    out.users.push(...org.users);
    out.calendars.push(org.calendar);
    out.policies.push(...org.policies);
    out.tickets.push(...org.tickets);
    out.comments.push(...org.comments);
    out.slaEvents.push(...org.slaEvents);
  }
  return out;
}

function buildOrg(spec: DemoOrgSpec, now: Date, passwordHash: string) {
  const rnd = prng(`beacon-demo:${spec.slug}`);
  const orgId = randomUUID();
  const people = DEMO_ROLES.map((r, i) => ({
    orgId,
    id: randomUUID(),
    email: `${r.local}@${spec.slug}.test`,
    name: spec.people[i]!,
    role: r.role,
    passwordHash,
    createdAt: new Date(now.getTime() - 30 * DAY),
  }));
  const [admin, agent, agent2, customer, customer2] = people as [
    (typeof people)[number],
    (typeof people)[number],
    (typeof people)[number],
    (typeof people)[number],
    (typeof people)[number],
  ];
  const assignees = [agent, agent, agent2, agent2, admin];
  const { calendar, policies } = defaultSlaRows(orgId, spec.timezone);
  const policyOf = new Map<TicketPriority, (typeof policies)[number]>(policies.map((p) => [p.priority, p]));

  const built = DEMO_SCENARIOS.map((s) => {
    const requester = rnd() < 0.55 ? customer : customer2;
    const assignee = s.status === "new" && !s.assigned ? null : pick(rnd, assignees);
    return buildTicket(s, {
      rnd,
      now: now.getTime(),
      orgId,
      policy: policyOf.get(s.priority)!,
      requester,
      assignee,
      fallbackAgent: agent,
      product: spec.product,
    });
  });
  // Numbers follow creation order, as they would have been handed out.
  built.sort((x, y) => x.ticket.createdAt.getTime() - y.ticket.createdAt.getTime());
  built.forEach((b, i) => (b.ticket.number = i + 1));

  const org = {
    id: orgId,
    name: spec.name,
    slug: spec.slug,
    timezone: spec.timezone,
    ticketSeq: built.length,
    createdAt: new Date(now.getTime() - 30 * DAY),
  };
  return {
    org,
    users: people,
    calendar,
    policies,
    tickets: built.map((b) => b.ticket),
    comments: built.flatMap((b) => b.comments),
    slaEvents: built.flatMap((b) => b.slaEvents),
  };
}

type Person = { id: string; name: string };
type Policy = { id: string; priority: TicketPriority; firstResponseMinutes: number; resolveMinutes: number };
type TicketCtx = {
  rnd: Rnd;
  now: number;
  orgId: string;
  policy: Policy;
  requester: Person;
  assignee: Person | null;
  fallbackAgent: Person;
  product: string;
};

const firstName = (p: Person) => p.name.split(" ")[0]!;

/**
 * One ticket with its conversation and SLA history. Due dates are simply createdAt + target
 * minutes (wall clock); ages are chosen so that "near" tickets fall due within 20–55 minutes
 * and "breached" ones are overdue and unfulfilled.
 */
function buildTicket(s: DemoScenario, c: TicketCtx) {
  const { rnd, now, orgId, policy } = c;
  const fr = policy.firstResponseMinutes * MIN;
  const rm = policy.resolveMinutes * MIN;
  const responded = s.status !== "new";
  const resolved = s.status === "solved" || s.status === "closed";

  let age: number;
  if (!responded)
    age =
      s.sla === "near"
        ? fr - between(rnd, 20, 55) * MIN
        : s.sla === "breached"
          ? fr + between(rnd, 60, 180) * MIN
          : fr * between(rnd, 0.1, 0.6);
  else if (!resolved)
    age =
      s.sla === "near"
        ? rm - between(rnd, 20, 55) * MIN
        : s.sla === "breached"
          ? rm + between(rnd, 2, 12) * HOUR
          : rm * between(rnd, 0.15, 0.6);
  else if (s.status === "solved") age = between(rnd, 1, 3.5) * DAY;
  else age = between(rnd, 5.5, 10) * DAY;
  age = Math.round(age / 1000) * 1000;

  const created = now - age;
  const frOffset = responded ? Math.min(fr * between(rnd, 0.2, 0.8), age * 0.3) : undefined;
  const frAt = frOffset === undefined ? undefined : created + frOffset;
  let resolvedAt: number | undefined;
  if (resolved) {
    const latest = s.status === "solved" ? age - HOUR : age - 4 * DAY - HOUR;
    resolvedAt = created + Math.max(frOffset! + 30 * MIN, Math.min(rm * between(rnd, 0.2, 0.9), latest));
  }
  // Solved tickets close after 4 days without activity (each org's default time rule, decision 042).
  const closedAt = s.status === "closed" ? resolvedAt! + 4 * DAY : undefined;
  const end = resolvedAt ?? now - MIN;

  const ticketId = randomUUID();
  const agentOnTicket = c.assignee ?? c.fallbackAgent;
  const fill = (text: string) =>
    text
      .replaceAll("{product}", c.product)
      .replaceAll("{customer}", firstName(c.requester))
      .replaceAll("{agent}", firstName(agentOnTicket));
  const convo: { at: number; author: Person; body: string; internal: boolean }[] = [
    { at: created, author: c.requester, body: s.message, internal: false },
  ];
  if (frAt !== undefined && s.reply) convo.push({ at: frAt, author: agentOnTicket, body: s.reply, internal: false });
  if (s.note) {
    const at =
      frAt === undefined ? created + age * between(rnd, 0.2, 0.7) : frAt + (end - frAt) * between(rnd, 0.05, 0.25);
    convo.push({
      at,
      author: rnd() < 0.25 && c.assignee ? pick(rnd, [c.fallbackAgent, c.assignee]) : agentOnTicket,
      body: s.note,
      internal: true,
    });
  }
  if (frAt !== undefined && s.followUp)
    convo.push({
      at: frAt + (end - frAt) * between(rnd, 0.35, 0.7),
      author: c.requester,
      body: s.followUp,
      internal: false,
    });
  if (resolvedAt !== undefined && s.resolution)
    convo.push({ at: resolvedAt, author: agentOnTicket, body: s.resolution, internal: false });
  convo.sort((x, y) => x.at - y.at);

  const d = (ms: number | undefined) => (ms === undefined ? null : new Date(Math.round(ms)));
  const frDue = created + fr;
  const resolveDue = created + rm;
  // Pending pauses the resolution clock from the agent's question (the policy's default pauseOn).
  const pausedAt = s.status === "pending" ? frAt : undefined;
  const lastActivity = Math.max(...convo.map((m) => m.at), closedAt ?? 0);
  const subject = fill(s.subject);

  const ticket = {
    orgId,
    id: ticketId,
    number: 0,
    subject,
    requesterId: c.requester.id,
    assigneeId: c.assignee?.id ?? null,
    status: s.status,
    priority: s.priority,
    tags: s.tags,
    slaPolicyId: policy.id,
    firstResponseDue: d(frDue),
    firstResponseAt: d(frAt),
    resolveDue: d(resolveDue),
    resolvedAt: d(resolvedAt),
    closedAt: d(closedAt),
    slaPausedAt: d(pausedAt),
    createdAt: new Date(created),
    updatedAt: d(lastActivity)!,
  };
  const commentRows = convo.map((m) => {
    const body = fill(m.body);
    return {
      orgId,
      id: randomUUID(),
      ticketId,
      authorId: m.author.id,
      body,
      bodyHtml: seedBodyHtml(body),
      internal: m.internal,
      createdAt: d(m.at)!,
    };
  });
  const ev = (
    metric: "first_response" | "resolution",
    kind: "apply" | "pause" | "fulfill",
    at: number,
    dueAt: number,
  ) => ({
    orgId,
    ticketId,
    metric,
    kind,
    at: d(at)!,
    dueAt: d(dueAt),
    data: kind === "apply" ? { policyId: policy.id, priority: policy.priority } : {},
  });
  const events = [ev("first_response", "apply", created, frDue), ev("resolution", "apply", created, resolveDue)];
  if (frAt !== undefined) events.push(ev("first_response", "fulfill", frAt, frDue));
  if (pausedAt !== undefined) events.push(ev("resolution", "pause", pausedAt, resolveDue));
  if (resolvedAt !== undefined) events.push(ev("resolution", "fulfill", resolvedAt, resolveDue));
  return { ticket, comments: commentRows, slaEvents: events };
}
