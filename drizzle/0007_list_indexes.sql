DROP INDEX "comments_search_idx";--> statement-breakpoint
DROP INDEX "tickets_org_assignee_status_idx";--> statement-breakpoint
DROP INDEX "tickets_search_idx";--> statement-breakpoint
DROP INDEX "tickets_org_updated_idx";--> statement-breakpoint
DROP INDEX "tickets_org_requester_idx";--> statement-breakpoint
CREATE INDEX "tickets_org_assignee_updated_idx" ON "tickets" USING btree ("org_id","assignee_id","updated_at","id");--> statement-breakpoint
CREATE INDEX "tickets_org_updated_idx" ON "tickets" USING btree ("org_id","updated_at","id");--> statement-breakpoint
CREATE INDEX "tickets_org_requester_idx" ON "tickets" USING btree ("org_id","requester_id","updated_at","id");