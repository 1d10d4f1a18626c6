ALTER TYPE "public"."import_state" ADD VALUE 'queued' BEFORE 'running';--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "options" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "input_key" text;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "input_bytes" bigint;