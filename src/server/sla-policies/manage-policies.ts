import "server-only";
import { eq, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit";
import { calendars, slaPolicies } from "../db/schema/sla";
import type { Tx } from "../db/tenant";
import { AppError, notFound } from "../core/errors";
import { assertVersion } from "../core/versions";
import type { Scope } from "../core/scope";
import { enqueue } from "../jobs/enqueue";
import { QUEUES } from "../jobs/queues";
import { validateCalendar } from "../sla/calendar";
import { calendarTimeProblems, targetReachProblems, type TargetFields } from "../sla/reachability";
import { auditActor } from "../authz/actor";
import { assertCan } from "../authz/permissions";
import type { CalendarInput, CreatePolicy, PolicyView, UpdatePolicy } from "./schemas";
import { one } from "../core/one";

type PolicyRow = typeof slaPolicies.$inferSelect;
type CalendarRow = typeof calendars.$inferSelect;

function toView(p: PolicyRow, c: CalendarRow | null): PolicyView {
  return {
    id: p.id,
    priority: p.priority,
    firstResponseMinutes: p.firstResponseMinutes,
    resolveMinutes: p.resolveMinutes,
    nextResponseMinutes: p.nextResponseMinutes,
    businessHours: p.businessHours,
    calendar: c ? { id: c.id, name: c.name, timezone: c.timezone, intervals: c.intervals, holidays: c.holidays } : null,
    pauseOn: p.pauseOn,
    updatedAt: p.updatedAt.toISOString(),
  };
}

const ORDER = { urgent: 0, high: 1, normal: 2, low: 3 } as const;

export async function listPolicies(scope: Scope): Promise<{ data: PolicyView[] }> {
  assertCan(scope.user, "org.admin");
  const rows = await scope.tx
    .select({ p: slaPolicies, c: calendars })
    .from(slaPolicies)
    .leftJoin(calendars, eq(calendars.id, slaPolicies.calendarId));
  return { data: rows.sort((a, b) => ORDER[a.p.priority] - ORDER[b.p.priority]).map((r) => toView(r.p, r.c)) };
}

function calendarProblems(cal: CalendarInput) {
  const asCalendar = { timezone: cal.timezone, intervals: cal.intervals, holidays: cal.holidays };
  const invalid = validateCalendar(asCalendar).map((p) => ({ path: `calendar.${p.path}`, message: p.message }));
  // Too little working time a week (e.g. one minute) is refused whatever the targets (decision 025).
  const problems = invalid.length ? invalid : calendarTimeProblems(asCalendar);
  if (problems.length) {
    throw new AppError("validation_failed", "calendar is invalid", {
      issues: problems.map((p) => ({ in: "body", ...p })),
    });
  }
}

async function saveCalendar(
  tx: Tx,
  orgId: string,
  existing: CalendarRow | null,
  cal: CalendarInput,
): Promise<CalendarRow> {
  calendarProblems(cal);
  const values = {
    name: cal.name ?? existing?.name ?? "Business hours",
    timezone: cal.timezone,
    intervals: cal.intervals,
    holidays: cal.holidays,
    updatedAt: new Date(),
  };
  if (existing) {
    const [c] = await tx.update(calendars).set(values).where(eq(calendars.id, existing.id)).returning();
    return c!;
  }
  const c = one(
    await tx
      .insert(calendars)
      .values({ orgId, ...values })
      .returning(),
  );
  return c;
}

function assertBusinessHoursHaveCalendar(businessHours: boolean, calendar: CalendarRow | null) {
  if (businessHours && !calendar) {
    throw new AppError("validation_failed", "a business-hours policy needs a calendar", {
      issues: [{ in: "body", path: "calendar", message: "is required when businessHours is true" }],
    });
  }
}

/** Every target of a business-hours policy is reached within 5 years on its calendar (decision 025). */
function assertTargetsReachable(businessHours: boolean, calendar: CalendarRow | null, targets: TargetFields) {
  if (!businessHours || !calendar) return;
  const problems = targetReachProblems(calendar, targets, new Date());
  if (problems.length) {
    throw new AppError("validation_failed", "an SLA target cannot be reached on this calendar", {
      issues: problems.map((p) => ({ in: "body", path: p.path, message: p.message })),
    });
  }
}

/** Creates the policy of a priority (one per priority: a second is 409). Open tickets get it in a job. */
export async function createPolicy(scope: Scope, input: CreatePolicy): Promise<PolicyView> {
  assertCan(scope.user, "org.admin");
  const [dupe] = await scope.tx
    .select({ id: slaPolicies.id })
    .from(slaPolicies)
    .where(eq(slaPolicies.priority, input.priority));
  if (dupe)
    throw new AppError("conflict", `a policy for ${input.priority} priority already exists; change it instead`, {
      id: dupe.id,
    });
  const calendar = input.calendar ? await saveCalendar(scope.tx, scope.user.orgId, null, input.calendar) : null;
  assertBusinessHoursHaveCalendar(input.businessHours, calendar);
  assertTargetsReachable(input.businessHours, calendar, {
    ...input,
    nextResponseMinutes: input.nextResponseMinutes ?? null,
  });
  const p = one(
    await scope.tx
      .insert(slaPolicies)
      .values({
        orgId: scope.user.orgId,
        priority: input.priority,
        firstResponseMinutes: input.firstResponseMinutes,
        resolveMinutes: input.resolveMinutes,
        nextResponseMinutes: input.nextResponseMinutes ?? null,
        businessHours: input.businessHours,
        calendarId: calendar?.id ?? null,
        pauseOn: input.pauseOn ?? ["pending"],
      })
      .returning(),
  );
  await recordAudit(scope.tx, auditActor(scope), {
    action: "sla_policy.created",
    entityType: "sla_policy",
    entityId: p.id,
    data: { ...input },
  });
  await enqueue(scope.tx, QUEUES.slaReapply.name, { orgId: scope.user.orgId, priority: input.priority });
  return toView(p, calendar);
}

/** Changes a policy (and its calendar); open tickets of its priority are re-applied in a job, in batches. */
export async function updatePolicy(scope: Scope, id: string, input: UpdatePolicy): Promise<PolicyView> {
  return (await updateVersionedPolicy(scope, id, input)).policy;
}

/** One policy with its calendar and version (GET /sla-policies/{id}; the version is its ETag, decision 043). */
export async function getVersionedPolicy(scope: Scope, id: string): Promise<{ policy: PolicyView; version: number }> {
  assertCan(scope.user, "org.admin");
  const [row] = await scope.tx
    .select({ p: slaPolicies, c: calendars })
    .from(slaPolicies)
    .leftJoin(calendars, eq(calendars.id, slaPolicies.calendarId))
    .where(eq(slaPolicies.id, id));
  if (!row) throw notFound("SLA policy");
  return { policy: toView(row.p, row.c), version: row.p.version };
}

/** updatePolicy with the policy's version: given `ifVersion` (If-Match), nothing changes unless the locked row has one of them (412). */
export async function updateVersionedPolicy(
  scope: Scope,
  id: string,
  input: UpdatePolicy,
  ifVersion?: readonly number[],
): Promise<{ policy: PolicyView; version: number }> {
  assertCan(scope.user, "org.admin");
  const [row] = await scope.tx
    .select({ p: slaPolicies, c: calendars })
    .from(slaPolicies)
    .leftJoin(calendars, eq(calendars.id, slaPolicies.calendarId))
    .where(eq(slaPolicies.id, id))
    .for("update", { of: slaPolicies });
  if (!row) throw notFound("SLA policy");
  assertVersion("SLA policy", row.p.version, ifVersion);
  let calendar = row.c;
  if (input.calendar) calendar = await saveCalendar(scope.tx, scope.user.orgId, row.c, input.calendar);
  if (input.calendar === null) calendar = null;
  const businessHours = input.businessHours ?? row.p.businessHours;
  assertBusinessHoursHaveCalendar(businessHours, calendar);
  const targets = {
    firstResponseMinutes: input.firstResponseMinutes ?? row.p.firstResponseMinutes,
    resolveMinutes: input.resolveMinutes ?? row.p.resolveMinutes,
    nextResponseMinutes:
      input.nextResponseMinutes === undefined ? row.p.nextResponseMinutes : input.nextResponseMinutes,
  };
  assertTargetsReachable(businessHours, calendar, targets);
  const [p] = await scope.tx
    .update(slaPolicies)
    .set({
      ...targets,
      businessHours,
      calendarId: calendar?.id ?? null,
      pauseOn: input.pauseOn ?? row.p.pauseOn,
      // The calendar lives in its own row: a change to it is a change to the policy's version too.
      ...(input.calendar !== undefined ? { version: sql`${slaPolicies.version} + 1` } : {}),
      updatedAt: new Date(),
    })
    .where(eq(slaPolicies.id, id))
    .returning();
  await recordAudit(scope.tx, auditActor(scope), {
    action: "sla_policy.updated",
    entityType: "sla_policy",
    entityId: id,
    data: { changes: { ...input } },
  });
  await enqueue(scope.tx, QUEUES.slaReapply.name, { orgId: scope.user.orgId, priority: p!.priority });
  return { policy: toView(p!, calendar), version: p!.version };
}

/** Removes a policy: tickets of its priority lose their unmet targets (in the re-apply job). */
export async function deletePolicy(scope: Scope, id: string): Promise<void> {
  assertCan(scope.user, "org.admin");
  const [p] = await scope.tx.delete(slaPolicies).where(eq(slaPolicies.id, id)).returning();
  if (!p) throw notFound("SLA policy");
  await recordAudit(scope.tx, auditActor(scope), {
    action: "sla_policy.deleted",
    entityType: "sla_policy",
    entityId: id,
    data: { priority: p.priority },
  });
  await enqueue(scope.tx, QUEUES.slaReapply.name, { orgId: scope.user.orgId, priority: p.priority });
}
