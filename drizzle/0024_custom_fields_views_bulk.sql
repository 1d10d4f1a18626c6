CREATE TABLE "bulk_jobs" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"actor_id" uuid NOT NULL,
	"action" jsonb NOT NULL,
	"ticket_ids" uuid[] NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"total" integer NOT NULL,
	"processed" integer DEFAULT 0 NOT NULL,
	"changed" integer DEFAULT 0 NOT NULL,
	"failures" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "bulk_jobs_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
CREATE TABLE "ticket_fields" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"key" text NOT NULL,
	"label" text NOT NULL,
	"type" text NOT NULL,
	"options" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"required_on_create" boolean DEFAULT false NOT NULL,
	"required_on_solve" boolean DEFAULT false NOT NULL,
	"customer_visible" boolean DEFAULT false NOT NULL,
	"customer_editable" boolean DEFAULT false NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ticket_fields_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
CREATE TABLE "ticket_views" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"sharing" text NOT NULL,
	"owner_id" uuid,
	"group_id" uuid,
	"builtin_key" text,
	"filters" jsonb NOT NULL,
	"columns" jsonb NOT NULL,
	"sort" text DEFAULT '-updatedAt' NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"hidden" boolean DEFAULT false NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ticket_views_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "bulk_jobs" ADD CONSTRAINT "bulk_jobs_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bulk_jobs" ADD CONSTRAINT "bulk_jobs_org_id_actor_id_users_org_id_id_fk" FOREIGN KEY ("org_id","actor_id") REFERENCES "public"."users"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_fields" ADD CONSTRAINT "ticket_fields_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_views" ADD CONSTRAINT "ticket_views_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_views" ADD CONSTRAINT "ticket_views_org_id_owner_id_users_org_id_id_fk" FOREIGN KEY ("org_id","owner_id") REFERENCES "public"."users"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ticket_fields_org_key_key" ON "ticket_fields" USING btree ("org_id","key");--> statement-breakpoint
CREATE INDEX "ticket_views_org_position_idx" ON "ticket_views" USING btree ("org_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "ticket_views_org_builtin_key" ON "ticket_views" USING btree ("org_id","builtin_key") WHERE "ticket_views"."builtin_key" is not null;--> statement-breakpoint
-- A filter on one custom field (?cf.<key>=) is a containment test on beacon_org_custom_fields(org_id,
-- custom_fields), i.e. {"<org id>": {...values...}} @> {"<org id>": {"key": value}}. jsonb_path_ops
-- hashes a whole path with its value into one GIN entry, so org, field and value are ONE key of this
-- index: the lookup reads only the org's matching tickets. (A GIN on (org_id, custom_fields) would
-- intersect the org's whole posting list, every ticket of the org, on each query.)
-- docs/decisions/050-custom-fields-views-bulk.md
CREATE FUNCTION beacon_org_custom_fields(org uuid, fields jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT jsonb_build_object(org::text, fields) $$;--> statement-breakpoint
-- Under row-level security a condition is an index condition only when its functions are LEAKPROOF
-- (drizzle/0008, decision 008). Neither raises an error that depends on row contents. Superuser only:
-- otherwise the filter stays correct but reads the org's tickets (runbook: search operators LEAKPROOF).
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    ALTER FUNCTION jsonb_contains(jsonb, jsonb) LEAKPROOF;
    ALTER FUNCTION beacon_org_custom_fields(uuid, jsonb) LEAKPROOF;
  ELSE
    RAISE NOTICE 'not a superuser: run "ALTER FUNCTION jsonb_contains(jsonb, jsonb) LEAKPROOF; ALTER FUNCTION beacon_org_custom_fields(uuid, jsonb) LEAKPROOF;" as one for index-driven custom field filters';
  END IF;
END $$;--> statement-breakpoint
CREATE INDEX "tickets_org_custom_fields_idx" ON "tickets" USING gin (beacon_org_custom_fields("org_id", "custom_fields") jsonb_path_ops);--> statement-breakpoint
-- Tenant rows like any other (docs/decisions/003-row-level-security.md).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ticket_fields', 'ticket_views', 'bulk_jobs'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I FOR ALL TO beacon_app USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()))', t);
    EXECUTE format(
      'CREATE POLICY system_access ON %I FOR ALL TO beacon_system USING (current_user = ''beacon_system'') WITH CHECK (current_user = ''beacon_system'')', t);
  END LOOP;
END $$;
--> statement-breakpoint
-- ETag versions bumped by the database on any change (decision 043).
CREATE TRIGGER ticket_fields_bump_version BEFORE UPDATE ON "ticket_fields" FOR EACH ROW EXECUTE FUNCTION beacon_bump_version();--> statement-breakpoint
CREATE TRIGGER ticket_views_bump_version BEFORE UPDATE ON "ticket_views" FOR EACH ROW EXECUTE FUNCTION beacon_bump_version();
--> statement-breakpoint
-- A ticket write checks custom field values against the org's definitions from its cached org
-- state (src/server/orgs/org-state.ts); a change to a definition moves orgs.config_version like a
-- change to an SLA policy does (org_config_changed, drizzle/0022), so every process re-reads them.
CREATE TRIGGER ticket_fields_config_changed AFTER INSERT OR UPDATE OR DELETE ON ticket_fields FOR EACH ROW EXECUTE FUNCTION org_config_changed();
