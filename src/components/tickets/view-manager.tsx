"use client";

import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import type { components } from "@/lib/api-types";
import { api, type ApiFailure } from "../api-client";
import { Field } from "../field";
import { ConfirmDialog } from "../admin/confirm-dialog";
import { ActionFeedback, useApiAction } from "../use-api-action";
import { useHydrated } from "../use-hydrated";

// Saved views on the list page (issue 14 item 2, decision 050): save the current filters as a
// view, rename or delete one's own, and (admins) order and hide the shared and built-in ones.

type View = components["schemas"]["View"];
type Named = { id: string; name: string };

/**
 * The columns a view can choose, as the API names them (views/schemas.ts VIEW_COLUMNS); number,
 * subject (with its tags) and the SLA always show.
 */
const COLUMN_LABELS: Record<string, string> = {
  requester: "Requester",
  assignee: "Assignee",
  group: "Group",
  status: "Status",
  priority: "Priority",
  createdAt: "Created",
  updatedAt: "Updated",
  resolveDue: "Resolution due",
};

const issueFor = (e: ApiFailure | null, path: string) =>
  e?.issues.find((i) => i.path === path || i.path.startsWith(`${path}.`))?.message;

/** A modal on the native <dialog>, opened by its own button; Escape or Close closes it. */
function DialogButton({
  label,
  title,
  testId,
  children,
}: {
  label: string;
  title: string;
  testId: string;
  children: (close: () => void) => ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const hydrated = useHydrated();
  const id = useId();
  const close = () => {
    ref.current?.close();
    setOpen(false);
  };
  return (
    <>
      <button
        type="button"
        className="button subtle"
        disabled={!hydrated}
        onClick={() => {
          setOpen(true);
          ref.current?.showModal();
        }}
        data-testid={`${testId}-open`}
      >
        {label}
      </button>
      <dialog
        ref={ref}
        className="views-dialog"
        aria-labelledby={`${id}-title`}
        data-testid={testId}
        onClose={() => setOpen(false)}
      >
        <div className="shortcuts-head">
          <h2 id={`${id}-title`}>{title}</h2>
          <button type="button" className="button subtle" onClick={close}>
            Close
          </button>
        </div>
        {open ? children(close) : null}
      </dialog>
    </>
  );
}

type SaveProps = {
  /** The list's filters now, as GET /tickets takes them (the view's plus what the user narrowed). */
  filters: Record<string, string>;
  sort: string;
  columns: string[];
  /** Custom fields that can be columns (cf.<key>). */
  fields: { key: string; label: string }[];
  admin: boolean;
  groups: Named[];
};

export function SaveViewButton(props: SaveProps) {
  return (
    <DialogButton label="Save as view" title="Save as view" testId="save-view">
      {(close) => <SaveViewForm {...props} close={close} />}
    </DialogButton>
  );
}

function SaveViewForm({ filters, sort, columns, fields, admin, groups, close }: SaveProps & { close: () => void }) {
  const id = useId().replace(/:/g, "");
  const router = useRouter();
  const { run, busy, status, failure } = useApiAction();
  const [sharing, setSharing] = useState<"personal" | "org" | "group">("personal");
  const all = [...Object.keys(COLUMN_LABELS), ...fields.map((f) => `cf.${f.key}`)];
  const label = (c: string) => COLUMN_LABELS[c] ?? fields.find((f) => `cf.${f.key}` === c)?.label ?? c;
  const described = Object.entries(filters)
    .map(([k, v]) => `${k} = ${v}`)
    .join(", ");

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const body = {
      name: String(f.get("name") ?? "").trim(),
      sharing,
      ...(sharing === "group" ? { groupId: String(f.get("groupId") ?? "") } : {}),
      filters,
      sort,
      columns: ["number", "subject", ...f.getAll("columns").map(String)],
    };
    const r = await run(
      () => api<View>("POST", "/api/v1/views", body),
      (v) => `Saved ${v.name}.`,
    );
    if (r.ok) {
      close();
      router.push(`/?view=${r.data.id}`);
    }
  }
  const nameErr = issueFor(failure, "name");
  const colErr = issueFor(failure, "columns");
  return (
    <form onSubmit={(e) => void submit(e)} noValidate className="views-form">
      <Field id={`${id}-name`} label="Name" error={nameErr}>
        {(aria) => <input {...aria} name="name" required maxLength={100} />}
      </Field>
      <p className="muted" data-testid="save-view-filters">
        Filters: {described || "none (every ticket you may see)"}
      </p>
      {admin ? (
        <fieldset className="views-fieldset">
          <legend>Who sees it</legend>
          {(["personal", "org", "group"] as const).map((v) => (
            <label key={v} className="check">
              <input type="radio" name="sharing" value={v} checked={sharing === v} onChange={() => setSharing(v)} />
              {v === "personal" ? "Only me" : v === "org" ? "Every agent" : "One group"}
            </label>
          ))}
          {sharing === "group" ? (
            <div className="field">
              <label htmlFor={`${id}-group`}>Group</label>
              <select id={`${id}-group`} name="groupId" defaultValue={groups[0]?.id ?? ""}>
                {groups.map((g) => (
                  <option key={g.id} value={g.id}>
                    {g.name}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
        </fieldset>
      ) : null}
      <fieldset className="views-fieldset columns" aria-describedby={colErr ? `${id}-col-err` : undefined}>
        <legend>Columns</legend>
        {all.map((c) => (
          <label key={c} className="check">
            <input type="checkbox" name="columns" value={c} defaultChecked={columns.includes(c)} />
            {label(c)}
          </label>
        ))}
        {colErr ? (
          <p id={`${id}-col-err`} className="field-error">
            {colErr}
          </p>
        ) : null}
      </fieldset>
      <p>
        <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
          Save view
        </button>
      </p>
      <ActionFeedback status={status} failure={failure} />
    </form>
  );
}

type ManageProps = { views: View[]; selfId: string; admin: boolean; currentId: string | null };

export function ManageViewsButton(props: ManageProps) {
  return (
    <DialogButton label="Manage views" title="Manage views" testId="manage-views">
      {() => <ManageViews {...props} />}
    </DialogButton>
  );
}

function ManageViews({ views, selfId, admin, currentId }: ManageProps) {
  const id = useId().replace(/:/g, "");
  const router = useRouter();
  const { run, busy, busyKey, status, failure } = useApiAction();
  const [deleting, setDeleting] = useState<View | null>(null);
  const own = views.filter((v) => v.sharing === "personal" && v.ownerId === selfId);
  const shared = views.filter((v) => v.sharing !== "personal");

  async function rename(e: FormEvent<HTMLFormElement>, v: View) {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget).get("name") ?? "").trim();
    await run(
      () => api<View>("PATCH", `/api/v1/views/${v.id}`, { name }),
      (x) => `Renamed to ${x.name}.`,
      { key: v.id },
    );
  }
  async function move(at: number, by: -1 | 1) {
    const ids = shared.map((v) => v.id);
    const [x] = ids.splice(at, 1);
    ids.splice(at + by, 0, x!);
    await run(
      () => api<{ data: View[] }>("PUT", "/api/v1/views/order", { ids }),
      () => `Moved ${shared[at]!.name} ${by < 0 ? "up" : "down"}.`,
      { key: shared[at]!.id },
    );
  }
  async function remove(v: View) {
    const r = await run(
      () => api<void>("DELETE", `/api/v1/views/${v.id}`),
      () => `Deleted ${v.name}.`,
      { key: v.id },
    );
    setDeleting(null);
    if (r.ok && v.id === currentId) router.push("/");
  }

  return (
    <div className="views-manage">
      <section aria-labelledby={`${id}-own`}>
        <h3 id={`${id}-own`}>My views</h3>
        {own.length === 0 ? (
          <p className="muted">You have no views of your own yet: filter the list, then Save as view.</p>
        ) : null}
        <ul className="views-rows">
          {own.map((v) => (
            <li key={v.id} data-testid="own-view">
              <form onSubmit={(e) => void rename(e, v)} className="views-row" aria-label={`Rename ${v.name}`}>
                <label htmlFor={`${id}-${v.id}`} className="visually-hidden">
                  Name of {v.name}
                </label>
                <input id={`${id}-${v.id}`} name="name" defaultValue={v.name} maxLength={100} required />
                <button type="submit" className="button" disabled={busy && busyKey === v.id}>
                  Rename
                </button>
                <button type="button" className="button" onClick={() => setDeleting(v)} aria-label={`Delete ${v.name}`}>
                  Delete
                </button>
              </form>
            </li>
          ))}
        </ul>
      </section>
      {admin ? (
        <section aria-labelledby={`${id}-shared`}>
          <h3 id={`${id}-shared`}>Shared views (every agent&apos;s sidebar, in this order)</h3>
          <ul className="views-rows">
            {shared.map((v, i) => (
              <li key={v.id} className="views-row" data-testid="shared-view">
                <span className="views-name">
                  {v.name}
                  {v.builtinKey ? (
                    <span className="muted"> (built-in)</span>
                  ) : v.sharing === "group" ? (
                    <span className="muted"> (group)</span>
                  ) : null}
                </span>
                <HiddenToggle
                  view={v}
                  disabled={busy}
                  onChange={(hidden) =>
                    run(
                      () => api<View>("PATCH", `/api/v1/views/${v.id}`, { hidden }),
                      (x) => `${x.name} is ${x.hidden ? "hidden" : "shown"}.`,
                      { key: v.id },
                    )
                  }
                />
                <button
                  type="button"
                  className="button"
                  disabled={busy || i === 0}
                  onClick={() => void move(i, -1)}
                  aria-label={`Move ${v.name} up`}
                >
                  ↑
                </button>
                <button
                  type="button"
                  className="button"
                  disabled={busy || i === shared.length - 1}
                  onClick={() => void move(i, 1)}
                  aria-label={`Move ${v.name} down`}
                >
                  ↓
                </button>
                {v.builtinKey ? null : (
                  <button
                    type="button"
                    className="button"
                    onClick={() => setDeleting(v)}
                    aria-label={`Delete ${v.name}`}
                  >
                    Delete
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <ActionFeedback status={status} failure={failure} statusTestId="views-status" />
      {deleting ? (
        <ConfirmDialog
          open
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete"
          danger
          busy={busy}
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(null)}
        >
          <p>
            {deleting.sharing === "personal"
              ? "Only the view goes; its tickets stay."
              : "It leaves every agent's sidebar; its tickets stay."}
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

/** Shows the click at once; goes back if the change is refused (the server's value wins after the refresh). */
function HiddenToggle({
  view,
  disabled,
  onChange,
}: {
  view: View;
  disabled: boolean;
  onChange: (hidden: boolean) => Promise<{ ok: boolean }>;
}) {
  const [on, setOn] = useState(view.hidden);
  useEffect(() => setOn(view.hidden), [view.hidden]);
  return (
    <label className="check">
      <input
        type="checkbox"
        checked={on}
        disabled={disabled}
        onChange={(e) => {
          const hidden = e.currentTarget.checked;
          setOn(hidden);
          void onChange(hidden).then((r) => {
            if (!r.ok) setOn(!hidden);
          });
        }}
      />
      Hidden
    </label>
  );
}
