import Form from "next/form";
import Link from "next/link";
import type { ListState } from "@/lib/list-params";
import { PRIORITY_KEYS, PRIORITY_LABELS, STATUS_KEYS, STATUS_LABELS } from "@/lib/ticket-labels";
import type { StaffWorkspaceRefs } from "@/server/pages/workspace-data";
import { EnumOptions } from "@/components/enum-options";

export const SEARCH_ID = "ticket-search";

const SORTS = [
  { value: "-updatedAt", label: "Updated" },
  { value: "updatedAt", label: "Oldest update" },
  { value: "-createdAt", label: "Newest" },
  { value: "createdAt", label: "Oldest" },
  { value: "resolveDue", label: "Due soonest" },
  { value: "-priority", label: "Priority" },
];

type Props = {
  state: ListState;
  viewKey: string;
  staff: boolean;
  filtered: boolean;
  sort: string;
  refs: StaffWorkspaceRefs | null;
};

/** The list's search and (for staff) filter form; a GET to "/", so the result is a bookmarkable URL. */
export function WorkspaceFilters({ state, viewKey, staff, filtered, sort, refs }: Props) {
  return (
    <search className="list-filters" id="list-filters" aria-label="Filter this list">
      {/* Keyed by the URL state: uncontrolled fields show the current view's values after a client-side navigation. */}
      <Form key={JSON.stringify(state)} action="/" className="filters-form">
        <input type="hidden" name="view" value={viewKey} />
        <div className="field search-field">
          <label htmlFor={SEARCH_ID}>Search</label>
          <input
            id={SEARCH_ID}
            name="q"
            type="search"
            defaultValue={state.q}
            maxLength={200}
            placeholder={staff ? "Subject, messages and notes" : "Subject and messages"}
            aria-keyshortcuts="/"
          />
        </div>
        {staff ? <StaffFilters state={state} sort={sort} refs={refs} /> : null}
        <div className="filter-actions">
          <button type="submit" className="button primary">
            {staff ? "Apply" : "Search"}
          </button>
          {filtered || state.sort ? (
            <Link href={`/?view=${viewKey}`} className="button subtle">
              Clear
            </Link>
          ) : null}
        </div>
      </Form>
    </search>
  );
}

function StaffFilters({ state, sort, refs }: { state: ListState; sort: string; refs: StaffWorkspaceRefs | null }) {
  return (
    <>
      <div className="field">
        <label htmlFor="filter-status">Status</label>
        <select id="filter-status" name="status" defaultValue={state.status}>
          <option value="">All in view</option>
          <EnumOptions keys={STATUS_KEYS} labels={STATUS_LABELS} />
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-priority">Priority</label>
        <select id="filter-priority" name="priority" defaultValue={state.priority}>
          <option value="">Any</option>
          <EnumOptions keys={PRIORITY_KEYS} labels={PRIORITY_LABELS} />
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-tag">Tag</label>
        <input
          id="filter-tag"
          name="tag"
          type="text"
          defaultValue={state.tag}
          maxLength={50}
          autoCapitalize="none"
          spellCheck={false}
        />
      </div>
      {refs && refs.groups.length ? (
        <div className="field">
          <label htmlFor="filter-group">Group</label>
          <select id="filter-group" name="group" defaultValue={state.group}>
            <option value="">Any</option>
            <option value="none">No group</option>
            {refs.groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {(refs?.fields ?? []).map((f) => (
        <CustomFieldFilter key={f.key} field={f} value={state.cf[f.key] ?? ""} />
      ))}
      <div className="field">
        <label htmlFor="filter-sort">Sort</label>
        <select id="filter-sort" name="sort" defaultValue={sort}>
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
    </>
  );
}

type FieldRef = StaffWorkspaceRefs["fields"][number];

/** A custom field's filter: a choice for fields with set values, text (or a date) for the others. */
function CustomFieldFilter({ field: f, value }: { field: FieldRef; value: string }) {
  const id = `filter-cf-${f.key}`;
  const choice = f.type === "dropdown" || f.type === "multiselect" || f.type === "checkbox";
  return (
    <div className="field">
      <label htmlFor={id}>{f.label}</label>
      {choice ? (
        <select id={id} name={`cf.${f.key}`} defaultValue={value}>
          <option value="">Any</option>
          {(f.type === "checkbox" ? ["true", "false"] : f.options).map((o) => (
            <option key={o} value={o}>
              {f.type === "checkbox" ? (o === "true" ? "Yes" : "No") : o}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          name={`cf.${f.key}`}
          type={f.type === "date" ? "date" : "text"}
          defaultValue={value}
          maxLength={200}
        />
      )}
    </div>
  );
}
