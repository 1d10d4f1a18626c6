import "server-only";
import type { PageUser } from "../auth/page-session";
import { withPageContext } from "../auth/page-context";
import { AppError } from "../core/errors";
import { loadPage } from "./list-page";
import { warningLeadSeconds } from "../sla/apply";
import { lookupUsers, type UserSummary } from "../users/lookup-users";
import { LIST_TICKETS_ADMISSION, listTickets } from "../tickets/list-tickets";
import { isStaff } from "../authz/permissions";
import { isStaffView, type AnyTicketView, type ListTickets } from "../tickets/schemas";
import { viewCounts } from "../tickets/view-counts";
import { listViews } from "../views/manage-views";
import type { ViewView } from "../views/schemas";
import { listGroups } from "../automation/manage-groups";
import { listMacros } from "../automation/manage-macros";
import { listFields } from "../fields/manage-fields";
import type { FieldView } from "../fields/schemas";
import { assignableStaff } from "./automation-data";
import { can } from "../authz/permissions";

type Views = Parameters<typeof viewCounts>[1];

export type WorkspaceData = {
  /** Per view; empty when the request was refused before anything was read. */
  counts: Record<string, number>;
  warningMinutes: number;
  list: { data: AnyTicketView[]; nextCursor: string | null } | null;
  people?: Map<string, UserSummary>;
  /** The user's URL asked for something the list refuses (stale cursor, staff-only filter). */
  error: string | null;
  /** The URL's cursor was stale (tampered, or made for other filters): `list` is the first page. */
  cursorDropped?: boolean;
  /** The API's admission refused the request (search budget spent, search switched off). */
  refused: { code: "rate_limited" | "feature_disabled"; message: string; retryAfterSec?: number } | null;
};

/**
 * The ticket list page's data ("/"), loaded through the same admission as GET /tickets: IP and
 * user budgets, the `search` switch and the search budget when the URL searches. A refusal is
 * returned for the page to show, as the API would answer 429 or 503, and nothing is searched.
 */
export async function loadWorkspace(
  user: PageUser,
  views: Views,
  query: ListTickets | null,
  headers: Headers,
): Promise<WorkspaceData> {
  try {
    return await withPageContext(
      user,
      async (scope) => {
        const counts = await viewCounts(scope, views);
        const warningMinutes = (await warningLeadSeconds(scope.tx)) / 60;
        if (!query) return { counts, warningMinutes, list: null, error: null, refused: null };
        // A stale or edited cursor loads the first page; a staff-only filter in a customer's URL is
        // the user's URL, not a server fault: say so and offer page one.
        const loaded = await loadPage((q: ListTickets) => listTickets(scope, q), query, [
          "validation_failed",
          "forbidden",
        ]);
        if (!loaded.ok) return { counts, warningMinutes, list: null, error: loaded.message, refused: null };
        const list = loaded.page;
        const ids = list.data.flatMap((t) =>
          isStaffView(t) && t.assigneeId ? [t.requesterId, t.assigneeId] : [t.requesterId],
        );
        const people = isStaff(user) ? await lookupUsers(scope, ids) : undefined;
        const cursorDropped = loaded.cursorDropped;
        return { counts, warningMinutes, list, people, error: null, refused: null, cursorDropped };
      },
      { ...LIST_TICKETS_ADMISSION, headers, query },
    );
  } catch (err) {
    if (err instanceof AppError && (err.code === "rate_limited" || err.code === "feature_disabled")) {
      const retry = Number(err.headers?.["Retry-After"]);
      return {
        counts: {},
        warningMinutes: 0,
        list: null,
        error: null,
        refused: {
          code: err.code,
          message: err.message,
          ...(Number.isFinite(retry) && retry > 0 ? { retryAfterSec: retry } : {}),
        },
      };
    }
    throw err;
  }
}

type Named = { id: string; name: string };

export type StaffWorkspaceRefs = {
  /** Every view the caller may see, sidebar order, with counts (admins: hidden shared ones too, for the manage dialog). */
  views: ViewView[];
  agents: Named[];
  groups: Named[];
  macros: Named[];
  fields: Pick<FieldView, "key" | "label" | "type" | "options">[];
  admin: boolean;
};

/**
 * What a staff list page needs besides the list: the saved views (issue 14 item 2) that decide its
 * filters, columns and sort, and what the bulk bar and the filters offer (agents, groups, macros,
 * custom fields). Read first, in its own transaction, because the list's query comes from the view.
 */
export async function loadStaffWorkspaceRefs(user: PageUser): Promise<StaffWorkspaceRefs> {
  return withPageContext(user, async (scope) => ({
    views: (await listViews(scope)).data,
    agents: await assignableStaff(scope),
    groups: (await listGroups(scope)).data.map((g) => ({ id: g.id, name: g.name })),
    macros: (await listMacros(scope)).data.map((m) => ({ id: m.id, name: m.name })),
    fields: (await listFields(scope)).data.map((f) => ({
      key: f.key,
      label: f.label,
      type: f.type,
      options: f.options,
    })),
    admin: can(user, "org.admin"),
  }));
}
