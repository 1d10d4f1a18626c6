CREATE TYPE "public"."csat_rating" AS ENUM('good', 'bad');--> statement-breakpoint
ALTER TYPE "public"."email_template_kind" ADD VALUE 'merged';--> statement-breakpoint
CREATE TABLE "csat_ratings" (
	"org_id" uuid NOT NULL,
	"ticket_id" uuid NOT NULL,
	"rating" "csat_rating" NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"requester_id" uuid NOT NULL,
	"assignee_id" uuid,
	"group_id" uuid,
	"changes" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "csat_ratings_org_id_ticket_id_pk" PRIMARY KEY("org_id","ticket_id")
);
--> statement-breakpoint
CREATE TABLE "customer_notes" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"author_id" uuid,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customer_notes_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
CREATE TABLE "customer_org_domains" (
	"org_id" uuid NOT NULL,
	"domain" text NOT NULL,
	"customer_org_id" uuid NOT NULL,
	CONSTRAINT "customer_org_domains_org_id_domain_pk" PRIMARY KEY("org_id","domain"),
	CONSTRAINT "customer_org_domains_lower" CHECK ("customer_org_domains"."domain" = lower("customer_org_domains"."domain"))
);
--> statement-breakpoint
CREATE TABLE "customer_orgs" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"notes" text DEFAULT '' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customer_orgs_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
CREATE TABLE "ticket_links" (
	"org_id" uuid NOT NULL,
	"ticket_a" uuid NOT NULL,
	"ticket_b" uuid NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ticket_links_org_id_ticket_a_ticket_b_pk" PRIMARY KEY("org_id","ticket_a","ticket_b"),
	CONSTRAINT "ticket_links_ordered" CHECK ("ticket_links"."ticket_a" < "ticket_links"."ticket_b")
);
--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "merged_into_id" uuid;--> statement-breakpoint
ALTER TABLE "csat_ratings" ADD CONSTRAINT "csat_ratings_org_id_ticket_id_tickets_org_id_id_fk" FOREIGN KEY ("org_id","ticket_id") REFERENCES "public"."tickets"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "csat_ratings" ADD CONSTRAINT "csat_ratings_org_id_group_id_groups_org_id_id_fk" FOREIGN KEY ("org_id","group_id") REFERENCES "public"."groups"("org_id","id") ON DELETE SET NULL ("group_id") ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_notes" ADD CONSTRAINT "customer_notes_org_id_customer_id_users_org_id_id_fk" FOREIGN KEY ("org_id","customer_id") REFERENCES "public"."users"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_org_domains" ADD CONSTRAINT "customer_org_domains_org_id_customer_org_id_customer_orgs_org_id_id_fk" FOREIGN KEY ("org_id","customer_org_id") REFERENCES "public"."customer_orgs"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_orgs" ADD CONSTRAINT "customer_orgs_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_links" ADD CONSTRAINT "ticket_links_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_links" ADD CONSTRAINT "ticket_links_org_id_ticket_a_tickets_org_id_id_fk" FOREIGN KEY ("org_id","ticket_a") REFERENCES "public"."tickets"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_links" ADD CONSTRAINT "ticket_links_org_id_ticket_b_tickets_org_id_id_fk" FOREIGN KEY ("org_id","ticket_b") REFERENCES "public"."tickets"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "csat_ratings_org_updated_idx" ON "csat_ratings" USING btree ("org_id","updated_at");--> statement-breakpoint
CREATE INDEX "customer_notes_customer_idx" ON "customer_notes" USING btree ("org_id","customer_id","created_at");--> statement-breakpoint
CREATE INDEX "customer_org_domains_company_idx" ON "customer_org_domains" USING btree ("org_id","customer_org_id");--> statement-breakpoint
CREATE UNIQUE INDEX "customer_orgs_org_name_key" ON "customer_orgs" USING btree ("org_id",lower("name"));--> statement-breakpoint
CREATE INDEX "ticket_links_org_b_idx" ON "ticket_links" USING btree ("org_id","ticket_b");--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_org_id_merged_into_id_tickets_org_id_id_fk" FOREIGN KEY ("org_id","merged_into_id") REFERENCES "public"."tickets"("org_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Tenant tables (docs/decisions/003-row-level-security.md, 051): each org sees only its own rows.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ticket_links', 'customer_orgs', 'customer_org_domains', 'customer_notes', 'csat_ratings'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I FOR ALL TO beacon_app USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()))', t);
    EXECUTE format(
      'CREATE POLICY system_access ON %I FOR ALL TO beacon_system USING (current_user = ''beacon_system'') WITH CHECK (current_user = ''beacon_system'')', t);
  END LOOP;
END $$;
