import type { Tx } from "../db/tenant";
import type { Principal } from "./principal";

/**
 * What a domain operation runs with: the tenant transaction (RLS as beacon_app, app.org_id set),
 * the confirmed caller, and the request id for logs and audit. No request, no query, no params:
 * an operation's input is its own typed argument, so API routes, pages, jobs and scripts call it
 * the same way (issue 15 item 1).
 */
export type Scope = { tx: Tx; user: Principal; requestId: string };

/**
 * What an operation that streams a request body runs with (uploads): no transaction is held while
 * bytes arrive; `withTx` opens a short tenant transaction (re-confirming the caller) and runs `fn`
 * with a full scope in it.
 */
export type StreamScope = Omit<Scope, "tx"> & { withTx: <T>(fn: (scope: Scope) => Promise<T>) => Promise<T> };
