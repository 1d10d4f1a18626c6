-- Ready for a distributed PostgreSQL (issue 16 item 6, docs/scaling.md, docs/decisions/048): every
-- unique index of a tenant table includes org_id. The one that did not, email_addresses'
-- lower(address) (an address belongs to one org only, SPEC §11), moves to a table of its own,
-- email_address_claims (address → the email_addresses row holding it), kept by a trigger. Its
-- primary key refuses a second org's claim with the same unique violation (23505) the old index
-- raised, so the API's "already in use" answer is unchanged. email_addresses keeps a per-org
-- unique key and a plain index on lower(address) for the intake's lookup by recipient.
CREATE TABLE "email_address_claims" (
	"address" text PRIMARY KEY NOT NULL,
	"email_address_id" uuid NOT NULL
);
--> statement-breakpoint
-- Not tenant data, and only the trigger (security definer) writes it: no grants to the app roles.
REVOKE ALL ON "email_address_claims" FROM PUBLIC;
--> statement-breakpoint
INSERT INTO "email_address_claims" ("address", "email_address_id") SELECT lower("address"), "id" FROM "email_addresses";
--> statement-breakpoint
DROP INDEX "email_addresses_address_key";--> statement-breakpoint
CREATE UNIQUE INDEX "email_addresses_org_address_key" ON "email_addresses" USING btree ("org_id",lower("address"));--> statement-breakpoint
CREATE INDEX "email_addresses_address_idx" ON "email_addresses" USING btree (lower("address"));
--> statement-breakpoint
CREATE FUNCTION email_address_claim() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    DELETE FROM public.email_address_claims WHERE email_address_id = OLD.id AND address = lower(OLD.address);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    -- A second org's claim of the address fails here: unique_violation, as the old index raised.
    INSERT INTO public.email_address_claims (address, email_address_id) VALUES (lower(NEW.address), NEW.id);
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION email_address_claim() FROM PUBLIC;
--> statement-breakpoint
CREATE TRIGGER email_addresses_claim AFTER INSERT OR DELETE OR UPDATE OF address ON "email_addresses"
  FOR EACH ROW EXECUTE FUNCTION email_address_claim();
