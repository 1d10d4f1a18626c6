-- Tenancy in depth: row-level security on every tenant table (see docs/decisions/003-row-level-security.md).
--
-- beacon_app    : request work. Sees only rows whose org_id = app.org_id (set per transaction).
-- beacon_system : the one documented cross-org path (sign-in lookup, jobs, seed, bootstrap).
-- Both are NOLOGIN and NOBYPASSRLS; the connecting user switches to one of them per transaction
-- with set_config('role', ..., true). FORCE makes the policies apply to the table owner too, so a
-- query that forgets to switch role sees no tenant rows at all (unless it runs as a superuser).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'beacon_app') THEN
    CREATE ROLE beacon_app NOLOGIN NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'beacon_system') THEN
    CREATE ROLE beacon_system NOLOGIN NOBYPASSRLS;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- another database of the same cluster created them concurrently
END $$;
--> statement-breakpoint
DO $$
BEGIN
  -- A non-superuser owner must be a member to SET ROLE; superusers may switch to any role.
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT beacon_app, beacon_system TO %I', current_user);
  END IF;
END $$;
--> statement-breakpoint
CREATE FUNCTION app_current_org() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO beacon_app, beacon_system;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO beacon_app, beacon_system;
--> statement-breakpoint
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO beacon_app, beacon_system;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO beacon_app, beacon_system;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO beacon_app, beacon_system;
--> statement-breakpoint
-- The audit chain is append-only for request work.
REVOKE UPDATE, DELETE ON audit_events FROM beacon_app;
--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'users', 'api_tokens', 'one_time_tokens', 'tickets', 'comments', 'attachments', 'calendars',
    'sla_policies', 'sla_events', 'notifications', 'webhooks', 'webhook_deliveries', 'audit_events'
  ] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I FOR ALL TO beacon_app USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org())', t);
    EXECUTE format('CREATE POLICY system_access ON %I FOR ALL TO beacon_system USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;
--> statement-breakpoint
ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE orgs FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON orgs FOR ALL TO beacon_app USING (id = app_current_org()) WITH CHECK (id = app_current_org());
--> statement-breakpoint
CREATE POLICY system_access ON orgs FOR ALL TO beacon_system USING (true) WITH CHECK (true);
--> statement-breakpoint
-- Feature flags: global rows (org_id null) are readable by every org; only the org's own rows are writable.
ALTER TABLE feature_flags ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE feature_flags FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_read ON feature_flags FOR SELECT TO beacon_app USING (org_id IS NULL OR org_id = app_current_org());
--> statement-breakpoint
CREATE POLICY tenant_write ON feature_flags FOR ALL TO beacon_app USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());
--> statement-breakpoint
CREATE POLICY system_access ON feature_flags FOR ALL TO beacon_system USING (true) WITH CHECK (true);
