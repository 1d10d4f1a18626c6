ALTER TYPE "public"."import_state" ADD VALUE 'cancelled';--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "cancel_requested_at" timestamp with time zone;