-- Ticket search (docs/decisions/008-ticket-search.md): full text over the subject and public
-- comments in tickets.search_vector; internal notes keep their own vector in comments.search_vector
-- (searched for staff only); pg_trgm for partial subject matches. Kept current by triggers, so
-- every write path (API, seed, bulk loads) maintains it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS tickets_subject_trgm_idx ON tickets USING gin (subject gin_trgm_ops);
--> statement-breakpoint
CREATE FUNCTION comments_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector := to_tsvector('english', NEW.body);
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER comments_search_vector BEFORE INSERT OR UPDATE OF body ON comments
  FOR EACH ROW EXECUTE FUNCTION comments_search_vector();
--> statement-breakpoint
CREATE FUNCTION comments_feed_ticket_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT NEW.internal THEN
    UPDATE tickets SET search_vector = coalesce(search_vector, ''::tsvector) || NEW.search_vector
      WHERE org_id = NEW.org_id AND id = NEW.ticket_id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER comments_feed_ticket_search AFTER INSERT ON comments
  FOR EACH ROW EXECUTE FUNCTION comments_feed_ticket_search();
--> statement-breakpoint
CREATE FUNCTION tickets_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    NEW.search_vector := setweight(to_tsvector('english', NEW.subject), 'A') || coalesce(NEW.search_vector, ''::tsvector);
  ELSIF NEW.subject IS DISTINCT FROM OLD.subject THEN
    NEW.search_vector := setweight(to_tsvector('english', NEW.subject), 'A') || coalesce((
      SELECT to_tsvector('english', string_agg(c.body, E'\n' ORDER BY c.created_at))
      FROM comments c WHERE c.org_id = NEW.org_id AND c.ticket_id = NEW.id AND NOT c.internal), ''::tsvector);
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER tickets_search_vector BEFORE INSERT OR UPDATE OF subject ON tickets
  FOR EACH ROW EXECUTE FUNCTION tickets_search_vector();
