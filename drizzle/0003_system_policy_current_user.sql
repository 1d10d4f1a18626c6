-- The connecting (owner) user is a member of beacon_app and beacon_system so it can switch to them.
-- In PostgreSQL 15 membership INHERITs by default, so a policy written TO beacon_system also
-- applied to the owner itself: a query that forgot to switch role saw every org. The system
-- policies now also require current_user = 'beacon_system' (true only after the switch), so a
-- forgotten switch sees no tenant rows, as docs/decisions/003 promises.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'orgs', 'users', 'api_tokens', 'one_time_tokens', 'tickets', 'comments', 'attachments', 'calendars',
    'sla_policies', 'sla_events', 'notifications', 'webhooks', 'webhook_deliveries', 'audit_events', 'feature_flags'
  ] LOOP
    EXECUTE format(
      'ALTER POLICY system_access ON %I USING (current_user = ''beacon_system'') WITH CHECK (current_user = ''beacon_system'')', t);
  END LOOP;
END $$;
