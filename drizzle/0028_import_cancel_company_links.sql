-- Issue 17, docs/decisions/062-import-operations.md. Migration 0028.
--
-- 1. An import can be cancelled: a `cancelled` state and the admin's request (the running job reads
--    it at its next batch's commit). The new enum value is not used in this migration.
-- 2. Company links from an import (Freshdesk's company_id): a customer's company and a ticket's
--    company, when the source gave them. Both columns are new and null everywhere: a catalog change,
--    no row rewritten. Composite (org_id, customer_org_id) as every tenant reference; deleting a
--    company leaves its people and tickets without one: SET NULL names customer_org_id alone (a plain
--    SET NULL would null org_id too), which PostgreSQL 15 allows and drizzle cannot express (and
--    customer_orgs' schema imports users' and tickets', so the keys are declared here only). The
--    partial indexes serve the delete's SET NULL and "the company's people".
ALTER TYPE "public"."import_state" ADD VALUE 'cancelled';--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "customer_org_id" uuid;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "customer_org_id" uuid;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "cancel_requested_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "users_org_customer_org_idx" ON "users" USING btree ("org_id","customer_org_id") WHERE "users"."customer_org_id" is not null;--> statement-breakpoint
CREATE INDEX "tickets_org_customer_org_idx" ON "tickets" USING btree ("org_id","customer_org_id") WHERE "tickets"."customer_org_id" is not null;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_org_id_customer_org_id_customer_orgs_fk" FOREIGN KEY ("org_id","customer_org_id") REFERENCES "public"."customer_orgs"("org_id","id") ON DELETE SET NULL ("customer_org_id") ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_org_id_customer_org_id_customer_orgs_fk" FOREIGN KEY ("org_id","customer_org_id") REFERENCES "public"."customer_orgs"("org_id","id") ON DELETE SET NULL ("customer_org_id") ON UPDATE no action;
