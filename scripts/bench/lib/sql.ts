// The set-based SQL of the bench generator. Everything is generated server-side (INSERT … SELECT
// over generate_series), never row by row; Node only ships parameters and text pools.

/**
 * Helpers in a throwaway schema (dropped at the end of a run):
 * - uid(org, kind, k): a deterministic, RFC-valid v4-shaped UUID, so tickets can name their
 *   requester "customer 17 of this org" without a join (and the API's z.uuid() accepts it);
 * - tsv_agg: concatenates tsvectors with `||` in the aggregate's ORDER BY, i.e. exactly the
 *   left fold the comments_feed_ticket_search trigger performs one insert at a time.
 */
export const STAGE_SQL = `
CREATE SCHEMA IF NOT EXISTS bench_stage;
CREATE OR REPLACE FUNCTION bench_stage.uid(o uuid, kind text, k int) RETURNS uuid
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT overlay(overlay(md5(o::text || ':' || kind || ':' || k) placing '4' from 13) placing '8' from 17)::uuid $$;
DROP AGGREGATE IF EXISTS bench_stage.tsv_agg(tsvector);
CREATE AGGREGATE bench_stage.tsv_agg(tsvector) (SFUNC = tsvector_concat, STYPE = tsvector);
`;

export const DROP_STAGE_SQL = `DROP SCHEMA IF EXISTS bench_stage CASCADE`;

/** $1 ids, $2 names, $3 slugs, $4 timezones, $5 ticket_seq, $6 created_at */
export const INSERT_ORGS = `
INSERT INTO orgs (id, name, slug, timezone, ticket_seq, created_at, updated_at)
SELECT id, name, slug, tz, seq, created, created
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[]) AS o(id, name, slug, tz, seq, created)`;

/** $1 org ids, $2 slugs, $3 agents, $4 customers, $5 created_at, $6 first names, $7 last names, $8 password hash */
export const INSERT_USERS = `
INSERT INTO users (org_id, id, email, name, role, password_hash, created_at, updated_at)
SELECT o.id, bench_stage.uid(o.id, r.role::text, r.k),
       CASE WHEN r.role = 'admin' THEN 'admin' ELSE r.role::text || r.k END || '@' || o.slug || '.test',
       ($6::text[])[1 + floor(random() * cardinality($6::text[]))::int] || ' ' || ($7::text[])[1 + floor(random() * cardinality($7::text[]))::int],
       r.role, $8::text, o.created, o.created
FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::timestamptz[]) AS o(id, slug, agents, customers, created)
CROSS JOIN LATERAL (
  SELECT 'admin'::user_role AS role, 1 AS k
  UNION ALL SELECT 'agent'::user_role, g FROM generate_series(1, o.agents) AS g
  UNION ALL SELECT 'customer'::user_role, g FROM generate_series(1, o.customers) AS g
) AS r`;

/** $1 org ids, $2 timezones, $3 intervals (jsonb) */
export const INSERT_CALENDARS = `
INSERT INTO calendars (org_id, id, name, timezone, intervals, holidays)
SELECT o.id, bench_stage.uid(o.id, 'calendar', 1), 'Business hours', o.tz, $3::jsonb, '[]'::jsonb
FROM unnest($1::uuid[], $2::text[]) AS o(id, tz)`;

/** $1 org ids, $2 priorities, $3 first response minutes, $4 resolve minutes, $5 business hours */
export const INSERT_POLICIES = `
INSERT INTO sla_policies (org_id, id, priority, first_response_minutes, resolve_minutes, business_hours, calendar_id)
SELECT o.id, bench_stage.uid(o.id, 'sla', array_position(enum_range(NULL::ticket_priority), p.priority)),
       p.priority, p.frm, p.rm, p.bh, CASE WHEN p.bh THEN bench_stage.uid(o.id, 'calendar', 1) END
FROM unnest($1::uuid[]) AS o(id)
CROSS JOIN unnest($2::ticket_priority[], $3::int[], $4::int[], $5::boolean[]) AS p(priority, frm, rm, bh)`;

/**
 * One chunk's tickets, without their search vector yet, in a temp table.
 * $1 org ids, $2 tickets per org, $3 agents, $4 customers, $5 now, $6 subject pool, $7 pool size,
 * $8 pool width, $9 tags, $10 first response minutes by priority, $11 resolve minutes by priority,
 * $12 comments to hand out beyond each ticket's first one.
 *
 * Distributions: status new 8 / open 25 / pending 10 / on_hold 4 / solved 23 / closed 30 %;
 * priority low 25 / normal 50 / high 18 / urgent 7 %; open work is recent (so due dates fall both
 * in the past and in the coming hours), closed work old; 0–3 tags, Zipf-like over the vocabulary;
 * ~70 % of non-new tickets assigned, to a few busy agents more than to the rest. Ticket numbers
 * follow creation order per org. Comments per ticket: 1 for new tickets, otherwise 1 + a share of
 * the chunk's remaining comments drawn from an exponential weight (so the chunk total is exact).
 */
export const CREATE_CHUNK = `
CREATE TEMP TABLE bench_chunk ON COMMIT DROP AS
WITH s0 AS (
  SELECT o.org_id, o.agents, o.customers, g.i,
         random() AS rs, random() AS rp, random() AS ra, random() AS ru, floor(random() * 4)::int AS ntags
  FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[]) AS o(org_id, n, agents, customers)
  CROSS JOIN LATERAL generate_series(1, o.n) AS g(i)
), s1 AS (
  SELECT s0.*,
    (CASE WHEN rs < 0.08 THEN 'new' WHEN rs < 0.33 THEN 'open' WHEN rs < 0.43 THEN 'pending'
          WHEN rs < 0.47 THEN 'on_hold' WHEN rs < 0.70 THEN 'solved' ELSE 'closed' END)::ticket_status AS status,
    CASE WHEN rp < 0.25 THEN 1 WHEN rp < 0.75 THEN 2 WHEN rp < 0.93 THEN 3 ELSE 4 END AS prio
  FROM s0
), s2 AS (
  SELECT s1.*, $5::timestamptz - CASE status
      WHEN 'new' THEN interval '2 days' * ra ^ 2
      WHEN 'open' THEN interval '21 days' * ra ^ 2
      WHEN 'pending' THEN interval '30 days' * ra ^ 1.5
      WHEN 'on_hold' THEN interval '45 days' * ra ^ 1.5
      WHEN 'solved' THEN interval '1 day' + interval '60 days' * ra
      ELSE interval '5 days' + interval '175 days' * ra END AS created_at
  FROM s1
), s3 AS (
  SELECT s2.*,
    CASE status
      WHEN 'new' THEN least($5::timestamptz, created_at + interval '10 minutes' * ru)
      WHEN 'solved' THEN least($5::timestamptz, created_at + interval '7 days' * ru ^ 2)
      WHEN 'closed' THEN least($5::timestamptz, created_at + interval '10 days' * ru ^ 2)
      ELSE created_at + ($5::timestamptz - created_at) * sqrt(ru) END AS updated_at,
    CASE WHEN status = 'new' THEN 0 ELSE -ln(1 - random()) END AS w
  FROM s2
), s4 AS (
  SELECT s3.*,
    row_number() OVER (PARTITION BY org_id ORDER BY created_at, i)::int AS number,
    sum(w) OVER (ORDER BY org_id, i) AS cumw
  FROM s3
), s5 AS (
  SELECT s4.*, coalesce(floor($12::int * (cumw / nullif(max(cumw) OVER (), 0))), 0)::int AS cum  -- (ratio first: exactly 1 on the last row)
  FROM s4
)
SELECT org_id, gen_random_uuid() AS id, number,
  rtrim(convert_from(substring($6::bytea from floor(random() * $7::int)::int * $8::int + 1 for $8::int), 'UTF8'))::varchar(200) AS subject,
  bench_stage.uid(org_id, 'customer', 1 + floor(random() * customers)::int) AS requester_id,
  CASE WHEN status <> 'new' AND random() < 0.7
       THEN bench_stage.uid(org_id, 'agent', least(agents, floor(power(agents + 1, random()))::int)) END AS assignee_id,
  status,
  (enum_range(NULL::ticket_priority))[prio] AS priority,
  ARRAY(SELECT DISTINCT ($9::text[])[least(cardinality($9::text[]), floor(power(cardinality($9::text[]) + 1, random()))::int)]
        FROM generate_series(1, ntags) ORDER BY 1) AS tags,
  bench_stage.uid(org_id, 'sla', prio) AS sla_policy_id,
  created_at + make_interval(mins => ($10::int[])[prio]) AS first_response_due,
  CASE WHEN status <> 'new'
       THEN least(updated_at, created_at + make_interval(mins => ($10::int[])[prio]) * (1.4 * random())) END AS first_response_at,
  created_at + make_interval(mins => ($11::int[])[prio]) AS resolve_due,
  CASE status WHEN 'solved' THEN updated_at
              WHEN 'closed' THEN updated_at - (updated_at - created_at) * (0.3 * random()) END AS resolved_at,
  CASE WHEN status = 'pending' THEN updated_at END AS sla_paused_at,
  CASE WHEN status = 'closed' THEN updated_at END AS closed_at,
  1 + floor(random() * 4)::int AS version,
  created_at, updated_at, agents,
  1 + cum - lag(cum, 1, 0) OVER (ORDER BY org_id, i) AS n_comments
FROM s5`;

/**
 * The chunk's comments, then its tickets, in one statement. comments.search_vector is
 * to_tsvector('english', body) (what comments_search_vector computes); tickets.search_vector is
 * setweight(to_tsvector('english', subject), 'A') followed by every public comment's vector in
 * insertion (= created_at) order, folded with || — what tickets_search_vector plus
 * comments_feed_ticket_search produce when the ticket and then its comments are inserted.
 *
 * $1 sentence pool, $2 public sentences (the first ones), $3 pool width, $4 internal-note sentences (the rest),
 * $5 now. Bodies: the opening message 2–7 sentences,
 * replies mostly short with a 6 % tail of 10–30 sentences, internal notes (~15 % of all comments,
 * never the opening message) short; cut at 2,000 characters; every sentence is ≥ 20 characters.
 */
export const INSERT_CHUNK = `
WITH ins AS (
  INSERT INTO comments (org_id, id, ticket_id, author_id, body, body_html, internal, search_vector, created_at)
  SELECT org_id, gen_random_uuid(), ticket_id, author_id, body, '<p>' || body || '</p>', internal,
         to_tsvector('english', body), created_at
  FROM (
    SELECT x.*,
      left((SELECT string_agg(rtrim(convert_from(substring($1::bytea
                 from floor(CASE WHEN x.internal AND g.n > 0 THEN $2::int + random() * $4::int ELSE random() * $2::int END)::int * $3::int + 1
                 for $3::int), 'UTF8')), ' ')
            -- (g.n > 0 keeps the aggregate at this level: arguments with only outer columns would make it the outer query's)
            FROM generate_series(1, x.nsent) AS g(n)), 2000) AS body
    FROM (
      SELECT x0.*,
        CASE WHEN k = 1 THEN requester_id
             WHEN internal OR k % 2 = 0 THEN coalesce(assignee_id, bench_stage.uid(org_id, 'agent', 1 + floor(random() * agents)::int))
             ELSE requester_id END AS author_id,
        least(30, CASE WHEN k = 1 THEN 2 + floor(random() * 6)
                       WHEN internal THEN 1 + floor(-ln(1 - random()) * 1.5)
                       WHEN random() < 0.06 THEN 10 + floor(random() * 21)
                       ELSE 1 + floor(-ln(1 - random()) * 2) END)::int AS nsent
      FROM (
        SELECT t.org_id, t.id AS ticket_id, t.requester_id, t.assignee_id, t.agents, k.k,
               (k.k > 1 AND random() < 0.225) AS internal,
               CASE WHEN k.k = 1 THEN t.created_at
                    ELSE t.created_at + (t.updated_at - t.created_at) * ((k.k - 0.9 + 0.8 * random()) / t.n_comments) END AS created_at
        FROM bench_chunk t CROSS JOIN LATERAL generate_series(1, t.n_comments) AS k(k)
      ) x0
    ) x
  ) y
  RETURNING ticket_id, internal, search_vector, created_at, id
),
checks AS (
  -- The SLA scan's next check (sla_checks, decision 047) as the scan leaves it once caught up
  -- (next-check.ts, "after-scan"): the earliest future warning (due − 15 min, the default lead) or
  -- breach (due + 1 ms) moment of a running metric.
  INSERT INTO sla_checks (org_id, ticket_id, next_check_at)
  SELECT org_id, id, at FROM (
    SELECT t.org_id, t.id, CASE WHEN t.status NOT IN ('solved', 'closed') THEN (
           SELECT min(m) FROM unnest(ARRAY[
             CASE WHEN t.first_response_at IS NULL THEN t.first_response_due - interval '15 minutes' END,
             CASE WHEN t.first_response_at IS NULL THEN t.first_response_due + interval '1 millisecond' END,
             CASE WHEN t.resolved_at IS NULL AND t.sla_paused_at IS NULL THEN t.resolve_due - interval '15 minutes' END,
             CASE WHEN t.resolved_at IS NULL AND t.sla_paused_at IS NULL THEN t.resolve_due + interval '1 millisecond' END
           ]) AS m WHERE m > $5::timestamptz) END AS at
    FROM bench_chunk t) k
  WHERE at IS NOT NULL
)
INSERT INTO tickets (org_id, id, number, subject, requester_id, assignee_id, status, priority, tags, sla_policy_id,
                     first_response_due, first_response_at, resolve_due, resolved_at, sla_paused_at, closed_at,
                     version, search_vector, custom_fields, created_at, updated_at)
SELECT t.org_id, t.id, t.number, t.subject, t.requester_id, t.assignee_id, t.status, t.priority, t.tags, t.sla_policy_id,
       t.first_response_due, t.first_response_at, t.resolve_due, t.resolved_at, t.sla_paused_at, t.closed_at,
       t.version, v.sv,
       -- The org's "plan" drop-down (INSERT_FIELDS): free 60 %, starter 28 %, pro 10 %, enterprise 2 %.
       jsonb_build_object('plan', (ARRAY['free', 'starter', 'pro', 'enterprise'])[width_bucket(random(), ARRAY[0, 0.6, 0.88, 0.98]::float8[])]),
       t.created_at, t.updated_at
FROM bench_chunk t
JOIN (
  SELECT ticket_id, bench_stage.tsv_agg(vec ORDER BY ts, cid) AS sv
  FROM (
    SELECT id AS ticket_id, setweight(to_tsvector('english', subject), 'A') AS vec, '-infinity'::timestamptz AS ts, NULL::uuid AS cid
    FROM bench_chunk
    UNION ALL
    SELECT ticket_id, search_vector, created_at, id FROM ins WHERE NOT internal
  ) u
  GROUP BY ticket_id
) v ON v.ticket_id = t.id`;

/**
 * One custom field per org (issue 14 item 1): a customer-visible "plan" drop-down, which every
 * ticket of the load fills (INSERT_CHUNK), so ?cf.plan= is measured on 1M tickets. $1 org ids.
 */
export const INSERT_FIELDS = `
INSERT INTO ticket_fields (org_id, key, label, type, options, customer_visible)
SELECT id, 'plan', 'Plan', 'dropdown', '["free", "starter", "pro", "enterprise"]'::jsonb, true FROM unnest($1::uuid[]) AS id`;

/** Secondary indexes of tickets and comments (not primary keys or constraints): dropped for the load, rebuilt after. */
export const DROPPABLE_INDEXES = `
SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def, t.relname AS "table"
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
WHERE i.indrelid IN ('public.tickets'::regclass, 'public.comments'::regclass)
  AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname`;

/**
 * Re-derives a sample's search vectors through the real triggers (copies of the tickets and their
 * comments inserted with triggers on, inside a transaction that is rolled back) and compares.
 * $1 org ids to sample from, $2 one ticket in every $2 by number.
 */
export const VERIFY_SAMPLE = [
  `CREATE TEMP TABLE bench_verify ON COMMIT DROP AS
     SELECT org_id, id, gen_random_uuid() AS nid FROM tickets WHERE org_id = ANY($1::uuid[]) AND number % $2::int = 1`,
  `INSERT INTO tickets (org_id, id, number, subject, requester_id, status, priority, created_at, updated_at)
     SELECT t.org_id, v.nid, -t.number, t.subject, t.requester_id, t.status, t.priority, t.created_at, t.updated_at
     FROM bench_verify v JOIN tickets t ON t.org_id = v.org_id AND t.id = v.id`,
  `INSERT INTO comments (org_id, id, ticket_id, author_id, body, body_html, internal, created_at)
     SELECT c.org_id, gen_random_uuid(), v.nid, c.author_id, c.body, c.body_html, c.internal, c.created_at
     FROM bench_verify v JOIN comments c ON c.org_id = v.org_id AND c.ticket_id = v.id
     ORDER BY v.nid, c.created_at, c.id`,
];

export const VERIFY_COMPARE = `
SELECT
  (SELECT count(*) FROM bench_verify)::int AS tickets,
  (SELECT count(*) FROM bench_verify v
     JOIN tickets a ON a.org_id = v.org_id AND a.id = v.id
     JOIN tickets b ON b.org_id = v.org_id AND b.id = v.nid
     WHERE a.search_vector IS DISTINCT FROM b.search_vector)::int AS ticket_mismatches,
  (SELECT count(*) FROM bench_verify v JOIN comments c ON c.org_id = v.org_id AND c.ticket_id = v.id)::int AS comments,
  (SELECT count(*) FROM bench_verify v JOIN comments c ON c.org_id = v.org_id AND c.ticket_id = v.id
     WHERE c.search_vector IS DISTINCT FROM to_tsvector('english', c.body))::int AS comment_mismatches`;

/** Foreign keys were not checked during the load (triggers off): check them once, set-based. $1 org ids, $2 comments expected. */
export const INTEGRITY = `
SELECT
  (SELECT count(*) FROM comments c WHERE c.org_id = ANY($1::uuid[])
     AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.org_id = c.org_id AND t.id = c.ticket_id))::int AS comments_without_ticket,
  (SELECT count(*) FROM comments c WHERE c.org_id = ANY($1::uuid[])
     AND NOT EXISTS (SELECT 1 FROM users u WHERE u.org_id = c.org_id AND u.id = c.author_id))::int AS comments_without_author,
  (SELECT count(*) FROM tickets t WHERE t.org_id = ANY($1::uuid[])
     AND (NOT EXISTS (SELECT 1 FROM users u WHERE u.org_id = t.org_id AND u.id = t.requester_id)
          OR (t.assignee_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.org_id = t.org_id AND u.id = t.assignee_id AND u.role <> 'customer'))
          OR NOT EXISTS (SELECT 1 FROM sla_policies p WHERE p.org_id = t.org_id AND p.id = t.sla_policy_id AND p.priority = t.priority)))::int AS tickets_bad_refs,
  (SELECT count(*) FROM orgs o WHERE o.id = ANY($1::uuid[])
     AND o.ticket_seq <> (SELECT count(*) FROM tickets t WHERE t.org_id = o.id))::int AS orgs_bad_seq,
  (SELECT count(*) FROM comments c WHERE c.org_id = ANY($1::uuid[]))::int - $2::int AS comments_off_by`;

export const STATS = `
SELECT
  (SELECT json_object_agg(status, pct ORDER BY status) FROM (SELECT status, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct FROM tickets WHERE org_id = ANY($1::uuid[]) GROUP BY 1) s) AS status_pct,
  (SELECT json_object_agg(priority, pct ORDER BY priority) FROM (SELECT priority, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct FROM tickets WHERE org_id = ANY($1::uuid[]) GROUP BY 1) s) AS priority_pct,
  (SELECT round(100.0 * count(*) FILTER (WHERE internal) / count(*), 1) FROM comments WHERE org_id = ANY($1::uuid[])) AS internal_pct,
  (SELECT json_build_object('min', min(length(body)), 'avg', round(avg(length(body))), 'p50', percentile_disc(0.5) WITHIN GROUP (ORDER BY length(body)), 'max', max(length(body)))
     FROM comments WHERE org_id = ANY($1::uuid[])) AS comment_length,
  (SELECT round(100.0 * count(*) FILTER (WHERE assignee_id IS NOT NULL) / count(*), 1) FROM tickets WHERE org_id = ANY($1::uuid[]) AND status <> 'new') AS assigned_pct_of_non_new,
  (SELECT json_build_object('past', count(*) FILTER (WHERE resolve_due < now()), 'next_24h', count(*) FILTER (WHERE resolve_due >= now() AND resolve_due < now() + interval '24 hours'), 'later', count(*) FILTER (WHERE resolve_due >= now() + interval '24 hours'))
     FROM tickets WHERE org_id = ANY($1::uuid[]) AND status IN ('new', 'open', 'pending', 'on_hold')) AS open_resolve_due,
  (SELECT json_build_object('set', count(*), 'next_hour', count(*) FILTER (WHERE next_check_at < now() + interval '1 hour'))
     FROM sla_checks WHERE org_id = ANY($1::uuid[])) AS sla_next_check,
  (SELECT round(100.0 * count(*) FILTER (WHERE search_vector @@ to_tsquery('english', 'printer')) / count(*), 1) FROM tickets WHERE org_id = ANY($1::uuid[])) AS printer_pct`;

export const TABLE_SIZES = `
SELECT c.relname AS "table", pg_total_relation_size(c.oid) AS total, pg_relation_size(c.oid) AS heap,
       pg_indexes_size(c.oid) AS indexes, c.reltuples::bigint AS rows
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname IN ('orgs', 'users', 'tickets', 'comments', 'sla_policies', 'calendars')
ORDER BY pg_total_relation_size(c.oid) DESC`;
