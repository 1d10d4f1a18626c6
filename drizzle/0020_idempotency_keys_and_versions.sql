CREATE TABLE "idempotency_keys" (
	"org_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"operation_id" text NOT NULL,
	"status" integer NOT NULL,
	"headers" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "idempotency_keys_org_id_user_id_key_pk" PRIMARY KEY("org_id","user_id","key")
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "sla_policies" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_org_id_user_id_users_org_id_id_fk" FOREIGN KEY ("org_id","user_id") REFERENCES "public"."users"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
-- Idempotency keys are tenant rows (docs/decisions/003-row-level-security.md, 043): a request
-- writes and reads its key in its own tenant transaction; only the worker's sweep crosses orgs.
ALTER TABLE "idempotency_keys" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "idempotency_keys" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY tenant_isolation ON "idempotency_keys" FOR ALL TO beacon_app USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));--> statement-breakpoint
CREATE POLICY system_access ON "idempotency_keys" FOR ALL TO beacon_system USING (current_user = 'beacon_system') WITH CHECK (current_user = 'beacon_system');
--> statement-breakpoint
-- The version behind the ETags of users, SLA policies and webhooks (decision 043) is bumped by the
-- database on every update that changes what a client sees, so no writer can forget it (a writer
-- may also bump it itself, e.g. a policy whose calendar changed: then its bump stands). The
-- arguments name the columns that are not part of that state (bookkeeping a client never sees).
CREATE FUNCTION beacon_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ignored text[] := TG_ARGV || ARRAY['version', 'updated_at'];
BEGIN
  IF NEW.version = OLD.version AND (to_jsonb(NEW) - ignored) IS DISTINCT FROM (to_jsonb(OLD) - ignored) THEN
    NEW.version := OLD.version + 1;
  END IF;
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER users_bump_version BEFORE UPDATE ON "users" FOR EACH ROW
  EXECUTE FUNCTION beacon_bump_version('last_sign_in_at', 'session_version', 'totp_secret', 'totp_last_step');--> statement-breakpoint
CREATE TRIGGER sla_policies_bump_version BEFORE UPDATE ON "sla_policies" FOR EACH ROW EXECUTE FUNCTION beacon_bump_version();--> statement-breakpoint
CREATE TRIGGER webhooks_bump_version BEFORE UPDATE ON "webhooks" FOR EACH ROW EXECUTE FUNCTION beacon_bump_version();--> statement-breakpoint
-- Webhook deliveries know their ticket and when the event happened, so one ticket's deliveries go out in event order (decision 043).
ALTER TABLE "webhook_deliveries" ADD COLUMN "ticket_id" uuid;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "occurred_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_ticket_order_idx" ON "webhook_deliveries" USING btree ("org_id","webhook_id","ticket_id","occurred_at");
