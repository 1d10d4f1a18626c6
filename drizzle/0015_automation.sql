CREATE TABLE "automation_firings" (
	"org_id" uuid NOT NULL,
	"automation_id" uuid NOT NULL,
	"ticket_id" uuid NOT NULL,
	"window_key" text NOT NULL,
	"fired_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "automation_firings_org_id_automation_id_ticket_id_window_key_pk" PRIMARY KEY("org_id","automation_id","ticket_id","window_key")
);
--> statement-breakpoint
CREATE TABLE "automation_versions" (
	"org_id" uuid PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "automations" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"conditions" jsonb NOT NULL,
	"actions" jsonb NOT NULL,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"fired_count" bigint DEFAULT 0 NOT NULL,
	"scanned_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "automations_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
CREATE TABLE "group_members" (
	"org_id" uuid NOT NULL,
	"group_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"away" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "group_members_org_id_group_id_user_id_pk" PRIMARY KEY("org_id","group_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "groups" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"round_robin_last_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "groups_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
CREATE TABLE "macros" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"owner_id" uuid,
	"reply" text,
	"actions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "macros_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
CREATE TABLE "ticket_anchors" (
	"org_id" uuid NOT NULL,
	"ticket_id" uuid NOT NULL,
	"anchor" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "ticket_anchors_org_id_ticket_id_anchor_pk" PRIMARY KEY("org_id","ticket_id","anchor")
);
--> statement-breakpoint
CREATE TABLE "triggers" (
	"org_id" uuid NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"position" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"conditions" jsonb NOT NULL,
	"actions" jsonb NOT NULL,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"fired_count" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "triggers_org_id_id_pk" PRIMARY KEY("org_id","id")
);
--> statement-breakpoint
ALTER TABLE "automation_firings" ADD CONSTRAINT "automation_firings_org_id_automation_id_automations_org_id_id_fk" FOREIGN KEY ("org_id","automation_id") REFERENCES "public"."automations"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation_firings" ADD CONSTRAINT "automation_firings_org_id_ticket_id_tickets_org_id_id_fk" FOREIGN KEY ("org_id","ticket_id") REFERENCES "public"."tickets"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation_versions" ADD CONSTRAINT "automation_versions_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automations" ADD CONSTRAINT "automations_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_org_id_group_id_groups_org_id_id_fk" FOREIGN KEY ("org_id","group_id") REFERENCES "public"."groups"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_org_id_user_id_users_org_id_id_fk" FOREIGN KEY ("org_id","user_id") REFERENCES "public"."users"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "groups" ADD CONSTRAINT "groups_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "macros" ADD CONSTRAINT "macros_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "macros" ADD CONSTRAINT "macros_org_id_owner_id_users_org_id_id_fk" FOREIGN KEY ("org_id","owner_id") REFERENCES "public"."users"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_anchors" ADD CONSTRAINT "ticket_anchors_org_id_ticket_id_tickets_org_id_id_fk" FOREIGN KEY ("org_id","ticket_id") REFERENCES "public"."tickets"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "triggers" ADD CONSTRAINT "triggers_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "automations_active_idx" ON "automations" USING btree ("org_id") WHERE "automations"."active";--> statement-breakpoint
CREATE INDEX "group_members_user_idx" ON "group_members" USING btree ("org_id","user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "groups_org_name_key" ON "groups" USING btree ("org_id",lower("name"));--> statement-breakpoint
CREATE INDEX "macros_org_owner_idx" ON "macros" USING btree ("org_id","owner_id");--> statement-breakpoint
CREATE INDEX "ticket_anchors_due_idx" ON "ticket_anchors" USING btree ("org_id","anchor","at");--> statement-breakpoint
CREATE INDEX "triggers_org_position_idx" ON "triggers" USING btree ("org_id","position");--> statement-breakpoint
-- Automation tables are tenant rows like any other (docs/decisions/003-row-level-security.md, 0011).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['triggers', 'automations', 'automation_firings', 'ticket_anchors', 'automation_versions', 'groups', 'group_members', 'macros'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I FOR ALL TO beacon_app USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()))', t);
    EXECUTE format(
      'CREATE POLICY system_access ON %I FOR ALL TO beacon_system USING (current_user = ''beacon_system'') WITH CHECK (current_user = ''beacon_system'')', t);
  END LOOP;
END $$;
--> statement-breakpoint
-- Time-rule anchors (docs/decisions/036-automation.md): kept by triggers, so every writer of tickets
-- and comments (requests, jobs, auto-close, email intake) keeps them without knowing about them.
-- sla_due is the earliest running due date: first response while unanswered, resolution while
-- unresolved and not paused; no row when nothing runs.
CREATE FUNCTION ticket_anchor_set(p_org uuid, p_ticket uuid, p_anchor text, p_at timestamptz) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF p_at IS NULL THEN
    DELETE FROM ticket_anchors WHERE org_id = p_org AND ticket_id = p_ticket AND anchor = p_anchor;
  ELSE
    INSERT INTO ticket_anchors (org_id, ticket_id, anchor, at) VALUES (p_org, p_ticket, p_anchor, p_at)
      ON CONFLICT (org_id, ticket_id, anchor) DO UPDATE SET at = EXCLUDED.at WHERE ticket_anchors.at IS DISTINCT FROM EXCLUDED.at;
  END IF;
END $$;
--> statement-breakpoint
CREATE FUNCTION ticket_sla_due(t tickets) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
  SELECT least(
    CASE WHEN t.first_response_at IS NULL THEN t.first_response_due END,
    CASE WHEN t.resolved_at IS NULL AND t.sla_paused_at IS NULL AND t.status NOT IN ('solved', 'closed') THEN t.resolve_due END)
$$;
--> statement-breakpoint
CREATE FUNCTION tickets_keep_anchors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM ticket_anchor_set(NEW.org_id, NEW.id, 'created', NEW.created_at);
    PERFORM ticket_anchor_set(NEW.org_id, NEW.id, 'status_changed', NEW.created_at);
  ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM ticket_anchor_set(NEW.org_id, NEW.id, 'status_changed', now());
  END IF;
  IF TG_OP = 'INSERT' OR ticket_sla_due(NEW) IS DISTINCT FROM ticket_sla_due(OLD) THEN
    PERFORM ticket_anchor_set(NEW.org_id, NEW.id, 'sla_due', ticket_sla_due(NEW));
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER tickets_keep_anchors AFTER INSERT OR UPDATE OF status, first_response_due, first_response_at, resolve_due, resolved_at, sla_paused_at ON tickets
  FOR EACH ROW EXECUTE FUNCTION tickets_keep_anchors();
--> statement-breakpoint
CREATE FUNCTION comments_keep_anchors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT NEW.internal AND EXISTS (SELECT 1 FROM users u WHERE u.org_id = NEW.org_id AND u.id = NEW.author_id AND u.role = 'customer') THEN
    PERFORM ticket_anchor_set(NEW.org_id, NEW.ticket_id, 'customer_replied', NEW.created_at);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER comments_keep_anchors AFTER INSERT ON comments
  FOR EACH ROW EXECUTE FUNCTION comments_keep_anchors();
--> statement-breakpoint
-- Existing tickets: created and SLA due are exact; the last status change is not recorded anywhere
-- cheap, so updated_at stands in for it (never earlier than the real change).
INSERT INTO ticket_anchors (org_id, ticket_id, anchor, at)
  SELECT org_id, id, 'created', created_at FROM tickets
  UNION ALL SELECT org_id, id, 'status_changed', updated_at FROM tickets
  UNION ALL SELECT t.org_id, t.id, 'sla_due', ticket_sla_due(t) FROM tickets t WHERE ticket_sla_due(t) IS NOT NULL
  UNION ALL SELECT c.org_id, c.ticket_id, 'customer_replied', max(c.created_at) FROM comments c
    JOIN users u ON u.org_id = c.org_id AND u.id = c.author_id AND u.role = 'customer'
    WHERE NOT c.internal GROUP BY c.org_id, c.ticket_id;
