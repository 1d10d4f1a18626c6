-- worker_heartbeats is not tenant data (decision 028): workers write it on the owner's pool and
-- /api/health reads it there. The default privileges of 0001 gave the request role write access,
-- so SQL that escaped a request could forge a live worker and make health lie. Requests never
-- touch this table.
REVOKE ALL ON TABLE "worker_heartbeats" FROM beacon_app;
