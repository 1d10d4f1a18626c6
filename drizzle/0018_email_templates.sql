CREATE TYPE "public"."email_template_kind" AS ENUM('acknowledgement', 'solved');--> statement-breakpoint
CREATE TABLE "email_templates" (
	"org_id" uuid NOT NULL,
	"kind" "email_template_kind" NOT NULL,
	"enabled" boolean NOT NULL,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_templates_org_id_kind_pk" PRIMARY KEY("org_id","kind")
);
--> statement-breakpoint
ALTER TABLE "email_templates" ADD CONSTRAINT "email_templates_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Customer-facing templates are tenant rows (docs/decisions/003-row-level-security.md, 040). No row
-- for an org means the built-in default: nothing to seed, and a better default reaches every org
-- that never edited its template.
ALTER TABLE "email_templates" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "email_templates" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "email_templates" FOR ALL TO beacon_app USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));--> statement-breakpoint
CREATE POLICY system_access ON "email_templates" FOR ALL TO beacon_system USING (current_user = 'beacon_system') WITH CHECK (current_user = 'beacon_system');
