-- Tickets get a group (team), issue 13 / docs/decisions/042-automation-api.md. Migration 0019
-- (0018 is another change's). The column is new and null everywhere, so adding it and its
-- foreign key is a catalog change plus one scan of tickets; no row is rewritten.
ALTER TABLE "tickets" ADD COLUMN "group_id" uuid;--> statement-breakpoint
-- Composite (org_id, group_id), as every tenant reference: a ticket can only name a group of its
-- own org. Deleting a group leaves its tickets without one: SET NULL names group_id alone (a
-- plain SET NULL would null org_id too), which PostgreSQL 15 allows and drizzle cannot express.
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_org_id_group_id_groups_org_id_id_fk" FOREIGN KEY ("org_id","group_id") REFERENCES "public"."groups"("org_id","id") ON DELETE SET NULL ("group_id") ON UPDATE no action;--> statement-breakpoint
-- ?group= in the ticket list, newest first (as tickets_org_assignee_updated_idx serves ?assigneeId=).
CREATE INDEX "tickets_org_group_updated_idx" ON "tickets" USING btree ("org_id","group_id","updated_at","id");
