import Link from "next/link";
import type { StaffWorkspaceRefs } from "@/server/pages/workspace-data";
import { formatViewCount } from "@/server/tickets/view-counts";
import { ManageViewsButton } from "./view-manager";
import type { ListView } from "./workspace-query";

type Props = {
  views: ListView[];
  current: ListView;
  staff: boolean;
  countOf: (v: ListView) => number | undefined;
  refs: StaffWorkspaceRefs | null;
  selfId: string;
};

/** The views sidebar: each view with its count, "New ticket", and (staff) the manage-views dialog. */
export function WorkspaceViewsNav({ views, current, staff, countOf, refs, selfId }: Props) {
  return (
    <nav className="views" aria-label={staff ? "Ticket views" : "My requests"}>
      <ul>
        {views.map((v) => (
          <li key={v.key}>
            <Link
              href={`/?view=${v.key}`}
              aria-current={v.key === current.key ? "page" : undefined}
              data-testid={`view-${v.key}`}
            >
              <span>{staff ? v.label : v.key === "open" ? "Open" : "Solved"}</span>
              {countOf(v) !== undefined ? (
                <span className="count">
                  {formatViewCount(countOf(v)!)}
                  <span className="visually-hidden"> tickets</span>
                </span>
              ) : null}
            </Link>
          </li>
        ))}
      </ul>
      <Link href="/tickets/new" className="button primary new-ticket">
        {staff ? "New ticket" : "New request"}
      </Link>
      {refs ? (
        <ManageViewsButton
          views={refs.views}
          selfId={selfId}
          admin={refs.admin}
          currentId={refs.views.find((v) => v.id === current.key)?.id ?? null}
        />
      ) : null}
    </nav>
  );
}
