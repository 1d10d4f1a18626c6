CREATE TYPE "public"."import_source_kind" AS ENUM('zendesk', 'freshdesk', 'csv', 'beacon');--> statement-breakpoint
CREATE TYPE "public"."import_state" AS ENUM('running', 'done', 'failed');--> statement-breakpoint
CREATE TABLE "import_id_map" (
	"org_id" uuid NOT NULL,
	"source_kind" "import_source_kind" NOT NULL,
	"source_type" text NOT NULL,
	"source_id" text NOT NULL,
	"beacon_id" uuid NOT NULL,
	"import_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "import_id_map_org_id_source_kind_source_type_source_id_pk" PRIMARY KEY("org_id","source_kind","source_type","source_id")
);
--> statement-breakpoint
CREATE TABLE "imports" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"source_kind" "import_source_kind" NOT NULL,
	"state" "import_state" DEFAULT 'running' NOT NULL,
	"source" text NOT NULL,
	"checkpoint" jsonb DEFAULT '{"files":{}}'::jsonb NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"report" jsonb DEFAULT '{"skippedSample":[]}'::jsonb NOT NULL,
	"error" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "imports_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
ALTER TABLE "import_id_map" ADD CONSTRAINT "import_id_map_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "import_id_map_beacon_idx" ON "import_id_map" USING btree ("org_id","source_kind","source_type","beacon_id");--> statement-breakpoint
CREATE INDEX "imports_org_created_idx" ON "imports" USING btree ("org_id","created_at");--> statement-breakpoint
-- Tenant tables (docs/decisions/003-row-level-security.md, 053): each org sees only its own imports and id map.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['imports', 'import_id_map'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I FOR ALL TO beacon_app USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()))', t);
    EXECUTE format(
      'CREATE POLICY system_access ON %I FOR ALL TO beacon_system USING (current_user = ''beacon_system'') WITH CHECK (current_user = ''beacon_system'')', t);
  END LOOP;
END $$;
--> statement-breakpoint
-- An import writes each ticket's search vector with the ticket (subject, then every public comment,
-- as a subject change recomputes it) and marks its batch's transaction 'import', so the comments it
-- inserts do not each update their ticket a second time (decision 053).
CREATE OR REPLACE FUNCTION comments_feed_ticket_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT NEW.internal AND NEW.id::text IS DISTINCT FROM current_setting('beacon.ticket_search_fed', true)
     AND current_setting('beacon.ticket_search_fed', true) IS DISTINCT FROM 'import' THEN
    UPDATE tickets SET search_vector = coalesce(search_vector, ''::tsvector) || NEW.search_vector
      WHERE org_id = NEW.org_id AND id = NEW.ticket_id;
  END IF;
  RETURN NULL;
END $$;
