-- Search and the SLA views under row-level security (docs/decisions/008, measured at 1M tickets).
--
-- Under RLS, PostgreSQL evaluates a query's conditions before the tenant policy only when their
-- functions are LEAKPROOF; others cannot be index conditions. @@ (ts_match_vq) and ILIKE
-- (texticlike) are not marked so, which made every search scan the whole org. They raise no
-- errors that depend on row contents, so marking them is safe. That needs a superuser: when the
-- migrating user is not one, the marks are skipped here and the runbook gives the two statements
-- for a DBA (search stays correct either way, only slower).
DO $$
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF;
    ALTER FUNCTION texticlike(text, text) LEAKPROOF;
  ELSE
    RAISE NOTICE 'not a superuser: run "ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF; ALTER FUNCTION texticlike(text, text) LEAKPROOF;" as one for index-driven search';
  END IF;
END $$;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS btree_gin;
--> statement-breakpoint
DROP INDEX IF EXISTS tickets_subject_trgm_idx;
--> statement-breakpoint
CREATE INDEX tickets_org_search_idx ON tickets USING gin (org_id, search_vector);
--> statement-breakpoint
CREATE INDEX tickets_org_subject_trgm_idx ON tickets USING gin (org_id, subject gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX comments_org_internal_search_idx ON comments USING gin (org_id, search_vector) WHERE internal;
--> statement-breakpoint
-- "Breaching soon" and sort=resolveDue over open tickets.
CREATE INDEX tickets_org_open_due_idx ON tickets (org_id, (coalesce(resolve_due, 'infinity'::timestamptz)), id)
  WHERE status NOT IN ('solved', 'closed');
