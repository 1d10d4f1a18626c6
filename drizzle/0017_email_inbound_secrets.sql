CREATE TABLE "email_inbound_secrets" (
	"org_id" uuid PRIMARY KEY NOT NULL,
	"secret_sha256" text NOT NULL,
	"hint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "email_inbound_secrets" ADD CONSTRAINT "email_inbound_secrets_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- The provider webhook's secret is a tenant row (docs/decisions/003-row-level-security.md, 039):
-- the webhook reads it in the tenant transaction of the org its secret names.
ALTER TABLE "email_inbound_secrets" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "email_inbound_secrets" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "email_inbound_secrets" FOR ALL TO beacon_app USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));--> statement-breakpoint
CREATE POLICY system_access ON "email_inbound_secrets" FOR ALL TO beacon_system USING (current_user = 'beacon_system') WITH CHECK (current_user = 'beacon_system');
