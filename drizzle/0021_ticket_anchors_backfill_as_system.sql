-- Migration 0015 filled ticket_anchors for the tickets that existed then, as the database owner.
-- An owner that is not a superuser is subject to FORCE ROW LEVEL SECURITY with no policy of its
-- own, so on such installs that INSERT … SELECT saw no tickets and filled nothing, silently: time
-- rules on created / status_changed / customer_replied / sla_due then never fired for tickets
-- older than 0015 (found while writing 0019, which runs its backfill as beacon_system). Run the
-- same backfill again as beacon_system (the owner is a member, decision 027), adding only what is
-- missing: anchors the triggers keep since 0015 are newer and stay as they are.
DO $$
BEGIN
  SET LOCAL ROLE beacon_system;
  INSERT INTO ticket_anchors (org_id, ticket_id, anchor, at)
    SELECT org_id, id, 'created', created_at FROM tickets
    UNION ALL SELECT org_id, id, 'status_changed', updated_at FROM tickets
    UNION ALL SELECT t.org_id, t.id, 'sla_due', ticket_sla_due(t) FROM tickets t WHERE ticket_sla_due(t) IS NOT NULL
    UNION ALL SELECT c.org_id, c.ticket_id, 'customer_replied', max(c.created_at) FROM comments c
      JOIN users u ON u.org_id = c.org_id AND u.id = c.author_id AND u.role = 'customer'
      WHERE NOT c.internal GROUP BY c.org_id, c.ticket_id
  ON CONFLICT (org_id, ticket_id, anchor) DO NOTHING;
  RESET ROLE;
END $$;
