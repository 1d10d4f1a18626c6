-- Issue 13, docs/decisions/042-automation-api.md. Migration 0019 (0018 is another change's).
--
-- 1. Tickets get a group (team). The column is new and null everywhere, so adding it and its
--    foreign key is a catalog change plus one scan of tickets; no row is rewritten.
ALTER TABLE "tickets" ADD COLUMN "group_id" uuid;--> statement-breakpoint
-- Composite (org_id, group_id), as every tenant reference: a ticket can only name a group of its
-- own org. Deleting a group leaves its tickets without one: SET NULL names group_id alone (a
-- plain SET NULL would null org_id too), which PostgreSQL 15 allows and drizzle cannot express.
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_org_id_group_id_groups_org_id_id_fk" FOREIGN KEY ("org_id","group_id") REFERENCES "public"."groups"("org_id","id") ON DELETE SET NULL ("group_id") ON UPDATE no action;--> statement-breakpoint
-- ?group= in the ticket list, newest first (as tickets_org_assignee_updated_idx serves ?assigneeId=).
CREATE INDEX "tickets_org_group_updated_idx" ON "tickets" USING btree ("org_id","group_id","updated_at","id");--> statement-breakpoint
-- 2. "Solved → closed after 4 days without activity" (SPEC §5) stops being a separate job and
--    becomes each org's default time rule, editable like any other (src/server/automation/defaults.ts
--    holds the same rule for new orgs and the seed; tests/integration/automation-defaults.test.ts
--    keeps the two equal). The job it replaces ran every 10 minutes, so every solved ticket quiet
--    for more than 4 days was closed already: the rule's first pass starts one day back
--    (scanned_until), which covers a worker that was down for up to a day, instead of reading
--    every old open ticket of every org once. docs/runbooks.md says how to make it look further back.
-- The migration runs as the database owner. A non-superuser owner is subject to FORCE ROW LEVEL
-- SECURITY with no policy of its own, so it would see no org and insert nothing (silently): the
-- backfill runs as beacon_system (the owner is a member, decision 027), whose policy sees every org.
DO $$
BEGIN
  SET LOCAL ROLE beacon_system;
  INSERT INTO "automations" ("org_id", "name", "position", "active", "conditions", "actions", "scanned_until")
    SELECT "id", 'Close solved tickets after 4 days', 0, true,
      '{"all":[{"field":"hours_since","anchor":"updated","op":"gte","value":96},{"field":"status","op":"is","value":"solved"}],"any":[]}'::jsonb,
      '[{"type":"set_status","value":"closed"}]'::jsonb,
      now() - interval '1 day'
    FROM "orgs";
  RESET ROLE;
END $$;--> statement-breakpoint
-- The job's cross-org index has no reader left (and decision 008 saw the planner pick it for a
-- large org's Solved list, the slow way).
DROP INDEX "tickets_solved_updated_idx";
