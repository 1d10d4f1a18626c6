CREATE TYPE "public"."imap_after_import" AS ENUM('mark_seen', 'move');--> statement-breakpoint
CREATE TYPE "public"."imap_tls_mode" AS ENUM('tls', 'starttls', 'none');--> statement-breakpoint
CREATE TABLE "email_mailboxes" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"address_id" uuid NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"tls_mode" "imap_tls_mode" NOT NULL,
	"username" text NOT NULL,
	"password_sealed" text NOT NULL,
	"folder" text DEFAULT 'INBOX' NOT NULL,
	"after_import" "imap_after_import" DEFAULT 'mark_seen' NOT NULL,
	"move_to" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"uid_validity" bigint,
	"last_uid" bigint DEFAULT 0 NOT NULL,
	"last_fetched_at" timestamp with time zone,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_mailboxes_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
ALTER TABLE "email_mailboxes" ADD CONSTRAINT "email_mailboxes_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_mailboxes" ADD CONSTRAINT "email_mailboxes_org_id_address_id_email_addresses_org_id_id_fk" FOREIGN KEY ("org_id","address_id") REFERENCES "public"."email_addresses"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "email_mailboxes_org_account_key" ON "email_mailboxes" USING btree ("org_id",lower("host"),"port","username","folder");--> statement-breakpoint
-- An org's IMAP mailboxes are tenant rows like any other (docs/decisions/003-row-level-security.md,
-- 034). The fetcher in the worker reads every org's enabled mailboxes on the system path.
ALTER TABLE "email_mailboxes" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "email_mailboxes" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "email_mailboxes" FOR ALL TO beacon_app USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));--> statement-breakpoint
CREATE POLICY system_access ON "email_mailboxes" FOR ALL TO beacon_system USING (current_user = 'beacon_system') WITH CHECK (current_user = 'beacon_system');
