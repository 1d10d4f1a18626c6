import Link from "next/link";
import type { PageUser } from "@/server/auth/page-session";
import type { StaffWorkspaceRefs, WorkspaceData } from "@/server/pages/workspace-data";
import { listHref, type ListState } from "@/lib/list-params";
import { BulkSelection } from "./bulk-actions";
import { TicketTable } from "./ticket-table";
import type { ListView } from "./workspace-query";

type List = NonNullable<WorkspaceData["list"]>;

type Props = {
  list: List;
  data: WorkspaceData;
  refs: StaffWorkspaceRefs | null;
  user: PageUser;
  view: ListView;
  caption: string;
  filters: Record<string, string>;
  matching: number;
  serverNow: number;
};

/** The rows of the list: staff get the selectable table inside the bulk bar, customers the plain one. */
export function WorkspaceRows({ list, data, refs, user, view, caption, filters, matching, serverNow }: Props) {
  return (
    <>
      <div id="ticket-list" tabIndex={-1} className="ticket-list-anchor" />
      {refs ? (
        <BulkSelection
          rows={list.data.map((t) => ({ id: t.id, number: t.number }))}
          matching={matching}
          filters={filters}
          agents={refs.agents}
          groups={refs.groups}
          macros={refs.macros}
        >
          <TicketTable
            tickets={list.data}
            mode="staff"
            caption={caption}
            serverNow={serverNow}
            people={data.people}
            selfId={user.userId}
            warningMinutes={data.warningMinutes}
            columns={view.columns}
            fieldLabels={Object.fromEntries(refs.fields.map((f) => [f.key, f.label]))}
            groupNames={new Map(refs.groups.map((g) => [g.id, g.name]))}
            selectable
          />
        </BulkSelection>
      ) : (
        <TicketTable tickets={list.data} mode="customer" caption={caption} serverNow={serverNow} selfId={user.userId} />
      )}
      <p className="hint shortcuts">
        Keyboard: <kbd>j</kbd> / <kbd>k</kbd> move between tickets, <kbd>Enter</kbd> opens,
        {refs ? (
          <>
            {" "}
            <kbd>Shift</kbd> + <kbd>X</kbd> selects,
          </>
        ) : null}{" "}
        <kbd>/</kbd> searches, <kbd>?</kbd> lists every shortcut.
      </p>
    </>
  );
}

/** "← First page" on a later page, "Next page →" when more rows follow. */
export function WorkspacePager({ state, nextCursor }: { state: ListState; nextCursor: string | null }) {
  if (!state.cursor && !nextCursor) return null;
  return (
    <nav className="pager" aria-label="Pages">
      {state.cursor ? (
        <Link href={listHref(state, { cursor: "" })} className="button subtle">
          ← First page
        </Link>
      ) : null}
      {nextCursor ? (
        <Link href={listHref(state, { cursor: nextCursor })} className="button subtle" rel="next">
          Next page →
        </Link>
      ) : null}
    </nav>
  );
}
