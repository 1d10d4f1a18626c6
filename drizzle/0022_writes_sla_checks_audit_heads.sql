-- Each write done once (issue 16 items 2 and 4, docs/decisions/047-each-write-once.md).
-- 1. The SLA scan's next check moves from tickets.sla_next_check_at (a wide row with 12 indexes,
--    updated by every scan) to the narrow tenant table sla_checks (a row only while something runs).
-- 2. audit_heads keeps each org's chain head, so an append is one statement (the head row's lock
--    serializes one org's writers, as the advisory lock did).
-- 3. orgs.config_version is bumped by the database when an org's settings, SLA policies or
--    calendars change: writes cache those per process and check the version in a statement they send anyway.
-- 4. A write that folds a public comment's text into its ticket's search_vector itself (in the
--    same statement as the ticket insert or update) names that comment in beacon.ticket_search_fed,
--    and the comment trigger then leaves the ticket alone: one ticket row version, not two.
CREATE TABLE "sla_checks" (
	"org_id" uuid NOT NULL,
	"ticket_id" uuid NOT NULL,
	"next_check_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sla_checks_org_id_ticket_id_pk" PRIMARY KEY("org_id","ticket_id")
);
--> statement-breakpoint
CREATE TABLE "audit_heads" (
	"org_id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" text NOT NULL,
	"prev_hash" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "orgs" ADD COLUMN "config_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sla_checks" ADD CONSTRAINT "sla_checks_org_id_ticket_id_tickets_org_id_id_fk" FOREIGN KEY ("org_id","ticket_id") REFERENCES "public"."tickets"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_heads" ADD CONSTRAINT "audit_heads_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sla_checks_next_check_idx" ON "sla_checks" USING btree ("next_check_at");--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sla_checks', 'audit_heads'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I FOR ALL TO beacon_app USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()))', t);
    EXECUTE format(
      'CREATE POLICY system_access ON %I FOR ALL TO beacon_system USING (current_user = ''beacon_system'') WITH CHECK (current_user = ''beacon_system'')', t);
  END LOOP;
END $$;
--> statement-breakpoint
-- Backfills as beacon_system (an owner that is not a superuser sees no rows under FORCE RLS; 0021).
DO $$
BEGIN
  SET LOCAL ROLE beacon_system;
  INSERT INTO sla_checks (org_id, ticket_id, next_check_at)
    SELECT org_id, id, sla_next_check_at FROM tickets WHERE sla_next_check_at IS NOT NULL;
  INSERT INTO audit_heads (org_id, seq, hash, prev_hash)
    SELECT DISTINCT ON (org_id) org_id, seq, hash, prev_hash FROM audit_events ORDER BY org_id, seq DESC;
  RESET ROLE;
END $$;
--> statement-breakpoint
DROP INDEX "tickets_sla_next_check_idx";--> statement-breakpoint
ALTER TABLE "tickets" DROP COLUMN "sla_next_check_at";--> statement-breakpoint
CREATE FUNCTION orgs_bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.config_version = OLD.config_version
     AND (NEW.settings IS DISTINCT FROM OLD.settings OR NEW.name IS DISTINCT FROM OLD.name OR NEW.timezone IS DISTINCT FROM OLD.timezone) THEN
    NEW.config_version := OLD.config_version + 1;
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER orgs_bump_config_version BEFORE UPDATE ON orgs FOR EACH ROW EXECUTE FUNCTION orgs_bump_config_version();
--> statement-breakpoint
CREATE FUNCTION org_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE orgs SET config_version = config_version + 1 WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.org_id ELSE NEW.org_id END);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER sla_policies_config_changed AFTER INSERT OR UPDATE OR DELETE ON sla_policies FOR EACH ROW EXECUTE FUNCTION org_config_changed();
--> statement-breakpoint
CREATE TRIGGER calendars_config_changed AFTER INSERT OR UPDATE OR DELETE ON calendars FOR EACH ROW EXECUTE FUNCTION org_config_changed();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION comments_feed_ticket_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT NEW.internal AND NEW.id::text IS DISTINCT FROM current_setting('beacon.ticket_search_fed', true) THEN
    UPDATE tickets SET search_vector = coalesce(search_vector, ''::tsvector) || NEW.search_vector
      WHERE org_id = NEW.org_id AND id = NEW.ticket_id;
  END IF;
  RETURN NULL;
END $$;