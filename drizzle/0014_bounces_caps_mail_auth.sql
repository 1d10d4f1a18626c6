-- Bounces, the per-sender ticket cap and mail authentication (decision 035). New columns on tenant
-- tables keep those tables' RLS and grants. ADD VALUE runs in the migration's transaction, so
-- nothing here may use 'held' or 'rejected' yet.
ALTER TYPE "public"."inbound_status" ADD VALUE 'held';--> statement-breakpoint
ALTER TYPE "public"."inbound_status" ADD VALUE 'rejected';--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "email_bouncing_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "email_bouncing_reason" text;--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD COLUMN "from_address" text;--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD COLUMN "client_ip" text;--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD COLUMN "helo" text;--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD COLUMN "auth" jsonb;--> statement-breakpoint
ALTER TABLE "ticket_ccs" ADD COLUMN "bouncing_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ticket_ccs" ADD COLUMN "bouncing_reason" text;--> statement-breakpoint
CREATE INDEX "inbound_messages_org_sender_tickets_idx" ON "inbound_messages" USING btree ("org_id","from_address","applied_at") WHERE "inbound_messages"."outcome" = 'ticket';