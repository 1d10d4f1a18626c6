import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { users } from "../db/schema/users";
import type { Tx } from "../db/tenant";
import { queryTextRows } from "./text-rows";

/** Past this many users, the cache starts over: memory stays bounded whatever the org's size. */
const MAX_ENTRIES = 50_000;

/**
 * The requester and assignee emails of one export, looked up once per user instead of once per
 * ticket. Joining users twice into every batch was the largest part of PostgreSQL's time for the
 * CSV export (about half of it on the bench database: an index probe per ticket, where the
 * largest org has five tickets per customer). A user whose email changes while the export runs
 * may show the earlier email on later rows; an export is not a snapshot (decision 011).
 */
export class UserEmails {
  private readonly emails = new Map<string, string>();

  constructor(
    private readonly orgId: string,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  /** Makes sure the users of `ids` are loaded, looking up (in the batch's tenant transaction) those not seen yet. */
  async load(tx: Tx, ids: Iterable<string | null | undefined>): Promise<void> {
    const wanted = new Set<string>();
    for (const id of ids) if (id) wanted.add(id);
    let missing = [...wanted].filter((id) => !this.emails.has(id));
    if (missing.length === 0) return;
    if (this.emails.size + missing.length > this.maxEntries) {
      this.emails.clear();
      missing = [...wanted];
    }
    const rows = await queryTextRows(
      tx,
      sql`select ${users.id}, ${users.email} from ${users}
      where ${and(eq(users.orgId, this.orgId), sql`${users.id} = any(${`{${missing.join(",")}}`}::uuid[])`)}`,
    );
    for (const [id, email] of rows) this.emails.set(id!, email ?? "");
    // A user the tenant cannot see (none: tickets reference users of their org) exports as empty.
    for (const id of missing) if (!this.emails.has(id)) this.emails.set(id, "");
  }

  /** The user's email ("" for one without), or undefined while not loaded. */
  get(id: string): string | undefined {
    return this.emails.get(id);
  }
}
