CREATE TYPE "public"."comment_channel" AS ENUM('web', 'email', 'api');--> statement-breakpoint
CREATE TYPE "public"."inbound_source" AS ENUM('smtp', 'imap', 'webhook');--> statement-breakpoint
CREATE TYPE "public"."inbound_status" AS ENUM('received', 'applied', 'dropped', 'failed');--> statement-breakpoint
CREATE TYPE "public"."message_id_direction" AS ENUM('inbound', 'outbound');--> statement-breakpoint
CREATE TABLE "email_addresses" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"address" text NOT NULL,
	"display_name" text DEFAULT '' NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_addresses_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
CREATE TABLE "email_message_ids" (
	"org_id" uuid NOT NULL,
	"message_id" text NOT NULL,
	"ticket_id" uuid NOT NULL,
	"comment_id" uuid,
	"direction" "message_id_direction" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_message_ids_org_id_message_id_pk" PRIMARY KEY("org_id","message_id")
);
--> statement-breakpoint
CREATE TABLE "inbound_messages" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"source" "inbound_source" NOT NULL,
	"dedupe_key" text NOT NULL,
	"message_id" text,
	"sha256" text NOT NULL,
	"raw" "bytea" NOT NULL,
	"size_bytes" integer NOT NULL,
	"mail_from" text,
	"rcpt_to" text NOT NULL,
	"status" "inbound_status" DEFAULT 'received' NOT NULL,
	"outcome" text,
	"reason" text,
	"error" text,
	"ticket_id" uuid,
	"comment_id" uuid,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"applied_at" timestamp with time zone,
	CONSTRAINT "inbound_messages_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
CREATE TABLE "ticket_ccs" (
	"org_id" uuid NOT NULL,
	"ticket_id" uuid NOT NULL,
	"email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ticket_ccs_org_id_ticket_id_email_pk" PRIMARY KEY("org_id","ticket_id","email")
);
--> statement-breakpoint
ALTER TABLE "comments" ADD COLUMN "channel" "comment_channel" DEFAULT 'web' NOT NULL;--> statement-breakpoint
ALTER TABLE "comments" ADD COLUMN "email" jsonb;--> statement-breakpoint
ALTER TABLE "email_addresses" ADD CONSTRAINT "email_addresses_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_message_ids" ADD CONSTRAINT "email_message_ids_org_id_ticket_id_tickets_org_id_id_fk" FOREIGN KEY ("org_id","ticket_id") REFERENCES "public"."tickets"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_message_ids" ADD CONSTRAINT "email_message_ids_org_id_comment_id_comments_org_id_id_fk" FOREIGN KEY ("org_id","comment_id") REFERENCES "public"."comments"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inbound_messages" ADD CONSTRAINT "inbound_messages_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_ccs" ADD CONSTRAINT "ticket_ccs_org_id_ticket_id_tickets_org_id_id_fk" FOREIGN KEY ("org_id","ticket_id") REFERENCES "public"."tickets"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "email_addresses_address_key" ON "email_addresses" USING btree (lower("address"));--> statement-breakpoint
CREATE INDEX "email_message_ids_outbound_idx" ON "email_message_ids" USING btree ("message_id") WHERE "email_message_ids"."direction" = 'outbound';--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_messages_org_dedupe_key" ON "inbound_messages" USING btree ("org_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "inbound_messages_org_received_idx" ON "inbound_messages" USING btree ("org_id","received_at");--> statement-breakpoint
-- The email tables are tenant rows like any other (docs/decisions/003-row-level-security.md, 0006).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['email_addresses', 'inbound_messages', 'email_message_ids', 'ticket_ccs'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I FOR ALL TO beacon_app USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org())', t);
    EXECUTE format(
      'CREATE POLICY system_access ON %I FOR ALL TO beacon_system USING (current_user = ''beacon_system'') WITH CHECK (current_user = ''beacon_system'')', t);
  END LOOP;
END $$;
