-- Issue 16, decision 064: two costs every ticket write paid inside PostgreSQL, same results.
--
-- 1. app_current_org() (drizzle/0012) was a SECURITY DEFINER function in LANGUAGE sql. Such a
--    function cannot be inlined, and PostgreSQL parses and plans its body again in every statement
--    that calls it: once per row-level-security InitPlan and WITH CHECK, about 40 times per ticket
--    create + reply, a quarter of the backend's CPU for the pair. In PL/pgSQL the body's plan is
--    cached per connection. Same signature, volatility, owner, grants, search_path and result.
CREATE OR REPLACE FUNCTION app_current_org() RETURNS uuid
  LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  org text := coalesce(current_setting('app.org_id', true), '');
BEGIN
  RETURN (SELECT CASE WHEN encode(sha256(k.opad || sha256(k.ipad || convert_to(org, 'UTF8'))), 'hex')
                           = current_setting('app.org_sig', true)
                      THEN nullif(org, '')::uuid END
            FROM beacon_private.org_key k);
END $$;
--> statement-breakpoint
-- 2. The time-rule anchors (drizzle/0015) were written by one nested statement per anchor, each
--    through a PL/pgSQL helper called from a SELECT: five per ticket create + reply. One upsert per
--    trigger firing now writes the anchors that changed; an SLA due that became NULL is deleted as
--    before. ticket_anchor_set stays for other callers.
CREATE OR REPLACE FUNCTION tickets_keep_anchors() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  due timestamptz := ticket_sla_due(NEW);
  status_at timestamptz;
  due_changed boolean;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ticket_anchors (org_id, ticket_id, anchor, at)
      SELECT NEW.org_id, NEW.id, a.anchor, a.at
        FROM (VALUES ('created', NEW.created_at), ('status_changed', NEW.created_at), ('sla_due', due)) a (anchor, at)
       WHERE a.at IS NOT NULL
      ON CONFLICT (org_id, ticket_id, anchor) DO UPDATE SET at = EXCLUDED.at WHERE ticket_anchors.at IS DISTINCT FROM EXCLUDED.at;
    RETURN NULL;
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status THEN
    status_at := now();
  END IF;
  due_changed := due IS DISTINCT FROM ticket_sla_due(OLD);
  IF due_changed AND due IS NULL THEN
    DELETE FROM ticket_anchors WHERE org_id = NEW.org_id AND ticket_id = NEW.id AND anchor = 'sla_due';
  END IF;
  IF status_at IS NOT NULL OR (due_changed AND due IS NOT NULL) THEN
    INSERT INTO ticket_anchors (org_id, ticket_id, anchor, at)
      SELECT NEW.org_id, NEW.id, a.anchor, a.at
        FROM (VALUES ('status_changed', status_at), ('sla_due', CASE WHEN due_changed THEN due END)) a (anchor, at)
       WHERE a.at IS NOT NULL
      ON CONFLICT (org_id, ticket_id, anchor) DO UPDATE SET at = EXCLUDED.at WHERE ticket_anchors.at IS DISTINCT FROM EXCLUDED.at;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION comments_keep_anchors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT NEW.internal AND EXISTS (SELECT 1 FROM users u WHERE u.org_id = NEW.org_id AND u.id = NEW.author_id AND u.role = 'customer') THEN
    INSERT INTO ticket_anchors (org_id, ticket_id, anchor, at) VALUES (NEW.org_id, NEW.ticket_id, 'customer_replied', NEW.created_at)
      ON CONFLICT (org_id, ticket_id, anchor) DO UPDATE SET at = EXCLUDED.at WHERE ticket_anchors.at IS DISTINCT FROM EXCLUDED.at;
  END IF;
  RETURN NULL;
END $$;
