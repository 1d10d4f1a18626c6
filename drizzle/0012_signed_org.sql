-- The org setting is signed (docs/decisions/027-request-login-role.md). SQL that escapes a request
-- runs as beacon_app and can set app.org_id to any org; it cannot compute that org's signature.
-- withTenant sets app.org_sig = HMAC-SHA256(key, app.org_id) beside it, and app_current_org()
-- returns the org only when the signature matches. The key lives in a schema the app roles
-- cannot use; the function reads it as its owner (SECURITY DEFINER). The app reads it once
-- through the owner's pool. Built-in sha256 only (no pgcrypto): the key is stored as its HMAC
-- inner and outer pads.
CREATE SCHEMA beacon_private;
--> statement-breakpoint
REVOKE ALL ON SCHEMA beacon_private FROM PUBLIC;
--> statement-breakpoint
CREATE TABLE beacon_private.org_key (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  ipad bytea NOT NULL CHECK (length(ipad) = 64),
  opad bytea NOT NULL CHECK (length(opad) = 64)
);
--> statement-breakpoint
-- 32 bytes from three gen_random_uuid() (pg_strong_random), zero-padded to the 64-byte block.
INSERT INTO beacon_private.org_key (ipad, opad)
SELECT decode(string_agg(lpad(to_hex((CASE WHEN i < 32 THEN get_byte(k, i) ELSE 0 END) # 54), 2, '0'), '' ORDER BY i), 'hex'),
       decode(string_agg(lpad(to_hex((CASE WHEN i < 32 THEN get_byte(k, i) ELSE 0 END) # 92), 2, '0'), '' ORDER BY i), 'hex')
  FROM (SELECT sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')) AS k) s,
       generate_series(0, 63) AS i
 GROUP BY k;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION app_current_org() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT CASE WHEN encode(sha256(k.opad || sha256(k.ipad || convert_to(coalesce(current_setting('app.org_id', true), ''), 'UTF8'))), 'hex')
                     = current_setting('app.org_sig', true)
                THEN nullif(current_setting('app.org_id', true), '')::uuid END
      FROM beacon_private.org_key k
  $$;
--> statement-breakpoint
-- The check costs tens of microseconds: once per query as an InitPlan, never once per row.
-- Every beacon_app policy (tenant_isolation, feature_flags' tenant_read/tenant_write, and any
-- table added so far) is rewritten from `app_current_org()` to `(SELECT app_current_org())`.
-- tests/integration/rls.test.ts fails on a policy written the old way.
DO $$
DECLARE
  p record;
BEGIN
  FOR p IN
    SELECT tablename, policyname, qual, with_check FROM pg_policies
     WHERE schemaname = 'public' AND 'beacon_app' = ANY (roles)
       AND (qual LIKE '%app_current_org()%' OR with_check LIKE '%app_current_org()%')
  LOOP
    IF p.qual IS NOT NULL THEN
      EXECUTE format('ALTER POLICY %I ON %I USING (%s)', p.policyname, p.tablename,
                     replace(p.qual, 'app_current_org()', '(SELECT app_current_org())'));
    END IF;
    IF p.with_check IS NOT NULL THEN
      EXECUTE format('ALTER POLICY %I ON %I WITH CHECK (%s)', p.policyname, p.tablename,
                     replace(p.with_check, 'app_current_org()', '(SELECT app_current_org())'));
    END IF;
  END LOOP;
END $$;
