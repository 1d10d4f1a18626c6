"use client";

import { useRouter } from "next/navigation";
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useId,
  useRef,
  useState,
  type FormEvent,
  type ReactNode,
} from "react";
import type { components } from "@/lib/api-types";
import { PRIORITY_KEYS, PRIORITY_LABELS, STATUS_KEYS, STATUS_LABELS, parseTags } from "@/lib/ticket-labels";
import { api, describeFailure, type ApiFailure } from "../api-client";
import { EnumOptions } from "../enum-options";
import { useHydrated } from "../use-hydrated";

// Bulk work from the ticket list (issue 14 item 3, decision 050): pick rows (or every ticket the
// filter matches), choose one change, and follow the background job until it reports what could
// not change and why.

type BulkJob = components["schemas"]["BulkTicketChange"];
type Named = { id: string; name: string };
type Row = { id: string; number: number };

type Selection = {
  selected: ReadonlySet<string>;
  allMatching: boolean;
  rows: Row[];
  toggle: (id: string, on: boolean) => void;
  setPage: (on: boolean) => void;
  hydrated: boolean;
};

const Ctx = createContext<Selection | null>(null);
const useSelection = () => {
  const c = useContext(Ctx);
  if (!c) throw new Error("a bulk checkbox outside BulkSelection");
  return c;
};

const POLL_MS = 500;

type Props = {
  rows: Row[];
  /** Tickets the current filters match (capped at 1,001), for "select all N matching". */
  matching: number;
  /** The current filters as GET /tickets takes them (no limit, cursor or sort): the bulk change's "every match". */
  filters: Record<string, string>;
  agents: Named[];
  groups: Named[];
  macros: Named[];
  children: ReactNode;
};

/** Holds the selection for the row and header checkboxes inside it, and shows the action bar above them. */
export function BulkSelection({ rows, matching, filters, agents, groups, macros, children }: Props) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const hydrated = useHydrated();
  const pageKey = rows.map((r) => r.id).join(",");
  // A refreshed page (live update, bulk done) keeps only the selected rows that are still listed.
  useEffect(() => {
    const here = new Set(pageKey.split(","));
    setSelected((s) => {
      const kept = [...s].filter((id) => here.has(id));
      return kept.length === s.size ? s : new Set(kept);
    });
  }, [pageKey]);

  const value: Selection = {
    selected,
    allMatching,
    rows,
    hydrated,
    toggle: (id, on) => {
      setAllMatching(false);
      setSelected((s) => {
        const n = new Set(s);
        if (on) n.add(id);
        else n.delete(id);
        return n;
      });
    },
    setPage: (on) => {
      setAllMatching(false);
      setSelected(on ? new Set(rows.map((r) => r.id)) : new Set());
    },
  };
  const clear = useCallback(() => {
    setAllMatching(false);
    setSelected(new Set());
  }, []);
  return (
    <Ctx.Provider value={value}>
      <BulkBar
        matching={matching}
        filters={filters}
        agents={agents}
        groups={groups}
        macros={macros}
        onSelectAllMatching={() => setAllMatching(true)}
        onClear={clear}
      />
      {children}
    </Ctx.Provider>
  );
}

/** The checkbox of one row, above the row's link (which covers the row). */
export function RowCheckbox({ id, number, subject }: { id: string; number: number; subject: string }) {
  const s = useSelection();
  return (
    <input
      type="checkbox"
      className="bulk-check"
      data-bulk-check=""
      aria-label={`Select #${number} ${subject}`}
      checked={s.allMatching || s.selected.has(id)}
      disabled={!s.hydrated}
      onChange={(e) => s.toggle(id, e.currentTarget.checked)}
    />
  );
}

/** Selects or clears every ticket on this page; mixed when some are selected. */
export function PageCheckbox() {
  const s = useSelection();
  const ref = useRef<HTMLInputElement>(null);
  const on = s.rows.filter((r) => s.selected.has(r.id)).length;
  const all = s.allMatching || (on > 0 && on === s.rows.length);
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = !all && on > 0;
  }, [all, on]);
  return (
    <input
      ref={ref}
      type="checkbox"
      className="bulk-check"
      aria-label="Select every ticket on this page"
      checked={all}
      disabled={!s.hydrated}
      onChange={(e) => s.setPage(e.currentTarget.checked)}
      data-testid="select-page"
    />
  );
}

type Kind = "status" | "priority" | "assignee" | "group" | "addTags" | "removeTags" | "macro";
const KINDS: { value: Kind; label: string }[] = [
  { value: "status", label: "Set status" },
  { value: "priority", label: "Set priority" },
  { value: "assignee", label: "Assign to" },
  { value: "group", label: "Set group" },
  { value: "addTags", label: "Add tags" },
  { value: "removeTags", label: "Remove tags" },
  { value: "macro", label: "Apply a macro" },
];

/** The API body's change part for the chosen action; null when the value is missing (said in `problem`). */
function changeOf(kind: Kind, value: string): { set: Record<string, unknown> } | { macroId: string } | null {
  switch (kind) {
    case "status":
      return value ? { set: { status: value } } : null;
    case "priority":
      return value ? { set: { priority: value } } : null;
    case "assignee":
      return value ? { set: { assigneeId: value === "none" ? null : value } } : null;
    case "group":
      return value ? { set: { groupId: value === "none" ? null : value } } : null;
    case "addTags":
    case "removeTags": {
      const tags = parseTags(value);
      return tags.length ? { set: { [kind]: tags } } : null;
    }
    case "macro":
      return value ? { macroId: value } : null;
  }
}

type BarProps = Omit<Props, "rows" | "children"> & { onSelectAllMatching: () => void; onClear: () => void };

function BulkBar({ matching, filters, agents, groups, macros, onSelectAllMatching, onClear }: BarProps) {
  const s = useSelection();
  const router = useRouter();
  const id = useId().replace(/:/g, "");
  const [kind, setKind] = useState<Kind>("status");
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const [busy, setBusy] = useState(false);
  const [job, setJob] = useState<BulkJob | null>(null);
  const count = s.allMatching ? matching : s.selected.size;
  const pageAll = s.rows.length > 0 && s.rows.every((r) => s.selected.has(r.id));
  const finished = job?.state === "done" || job?.state === "failed";

  // Follow the job until it is done; then the list shows the changed tickets.
  useEffect(() => {
    if (!job || job.state === "done" || job.state === "failed") return;
    const t = setTimeout(async () => {
      const r = await api<BulkJob>("GET", `/api/v1/bulk-jobs/${job.id}`);
      if (!r.ok) {
        setFailure(r.error);
        setBusy(false);
        return;
      }
      setJob(r.data);
      if (r.data.state === "done" || r.data.state === "failed") {
        setBusy(false);
        onClear();
        router.refresh();
      }
    }, POLL_MS);
    return () => clearTimeout(t);
  }, [job, router, onClear]);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const change = changeOf(kind, value);
    setFailure(null);
    if (!change) {
      setProblem(kind === "addTags" || kind === "removeTags" ? "Type at least one tag." : "Choose a value first.");
      return;
    }
    setProblem(null);
    setBusy(true);
    const target = s.allMatching ? { filters } : { ticketIds: [...s.selected] };
    const r = await api<BulkJob>("POST", "/api/v1/tickets/bulk", { ...target, ...change });
    if (!r.ok) {
      setFailure(r.error);
      setBusy(false);
      return;
    }
    setJob(r.data);
  }

  if (count === 0 && !job) return null;
  return (
    <section className="bulk-bar" aria-label="Bulk actions" data-testid="bulk-bar">
      {count > 0 ? (
        <div className="bulk-selection">
          <p className="bulk-count" aria-live="polite" data-testid="bulk-count">
            {s.allMatching
              ? `All ${matching > 1000 ? "1,000+" : matching} matching tickets selected`
              : `${count} selected`}
          </p>
          {pageAll && !s.allMatching && matching > s.rows.length ? (
            <button
              type="button"
              className="button subtle"
              onClick={onSelectAllMatching}
              data-testid="select-all-matching"
            >
              Select all {matching > 1000 ? "1,000+" : matching} matching this filter
            </button>
          ) : null}
          <button type="button" className="button subtle" onClick={onClear}>
            Clear selection
          </button>
        </div>
      ) : null}
      {count > 0 ? (
        <form className="bulk-form" onSubmit={(e) => void submit(e)} noValidate>
          <div className="field">
            <label htmlFor={`${id}-kind`}>Change</label>
            <select
              id={`${id}-kind`}
              value={kind}
              onChange={(e) => {
                setKind(e.currentTarget.value as Kind);
                setValue("");
                setProblem(null);
              }}
            >
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-value`}>
              {kind === "addTags" || kind === "removeTags" ? "Tags (comma-separated)" : "To"}
            </label>
            {kind === "addTags" || kind === "removeTags" ? (
              <input
                id={`${id}-value`}
                value={value}
                onChange={(e) => setValue(e.currentTarget.value)}
                autoCapitalize="none"
                spellCheck={false}
                maxLength={500}
                aria-invalid={problem ? true : undefined}
                aria-describedby={problem ? `${id}-problem` : undefined}
              />
            ) : (
              <select
                id={`${id}-value`}
                value={value}
                onChange={(e) => setValue(e.currentTarget.value)}
                aria-invalid={problem ? true : undefined}
                aria-describedby={problem ? `${id}-problem` : undefined}
              >
                <option value="">Choose…</option>
                {kind === "status" ? <EnumOptions keys={STATUS_KEYS} labels={STATUS_LABELS} /> : null}
                {kind === "priority" ? <EnumOptions keys={PRIORITY_KEYS} labels={PRIORITY_LABELS} /> : null}
                {kind === "assignee" ? <option value="none">Unassigned</option> : null}
                {kind === "group" ? <option value="none">No group</option> : null}
                {(kind === "assignee" ? agents : kind === "group" ? groups : kind === "macro" ? macros : []).map(
                  (o) => (
                    <option key={o.id} value={o.id}>
                      {o.name}
                    </option>
                  ),
                )}
              </select>
            )}
          </div>
          <button type="submit" className="button primary" disabled={!s.hydrated || busy} aria-busy={busy}>
            Apply to {s.allMatching && matching > 1000 ? "1,000+" : count} {count === 1 ? "ticket" : "tickets"}
          </button>
          {problem ? (
            <p id={`${id}-problem`} className="field-error">
              {problem}
            </p>
          ) : null}
        </form>
      ) : null}
      <div role="alert" className="bulk-alert">
        {failure ? <p className="error">{describeFailure(failure)}</p> : null}
      </div>
      {job ? <BulkProgress job={job} onDismiss={finished ? () => setJob(null) : undefined} /> : null}
    </section>
  );
}

function BulkProgress({ job, onDismiss }: { job: BulkJob; onDismiss?: () => void }) {
  const id = useId();
  const finished = job.state === "done" || job.state === "failed";
  const summary = finished
    ? `${job.state === "failed" ? "Stopped" : "Done"}: ${job.changed} of ${job.total} changed${job.failures.length ? `, ${job.failures.length} could not change` : ""}.`
    : `${job.state === "queued" ? "Waiting to start" : "Working"}: ${job.processed} of ${job.total} processed, ${job.changed} changed.`;
  return (
    <div className="bulk-progress" data-testid="bulk-progress" data-state={job.state}>
      <label htmlFor={`${id}-bar`} className="visually-hidden">
        Bulk change progress
      </label>
      <progress id={`${id}-bar`} max={Math.max(1, job.total)} value={job.processed} />
      <p role="status" data-testid="bulk-summary">
        {summary}
      </p>
      {job.failures.length ? (
        <div className="bulk-failures" data-testid="bulk-failures">
          <h3>Could not change</h3>
          <ul>
            {job.failures.map((f) => (
              <li key={f.ticketId}>
                <a href={`/tickets/${f.ticketId}`}>{f.number === null ? "A ticket" : `#${f.number}`}</a>:{" "}
                {failureReason(f.code, f.message)}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {onDismiss ? (
        <button type="button" className="button subtle" onClick={onDismiss}>
          Dismiss
        </button>
      ) : null}
    </div>
  );
}

/** The API's message, with a plain-words lead for the codes an agent meets most. */
function failureReason(code: string, message: string): string {
  const lead: Record<string, string> = {
    conflict: "it cannot change now",
    not_found: "it no longer exists",
    forbidden: "you may not change it",
    validation_failed: "the value was refused",
  };
  const text = message ? message.charAt(0).toUpperCase() + message.slice(1) : code;
  return lead[code] ? `${lead[code]} (${text})` : text;
}

/** Shift+X on a focused row toggles its checkbox (plain x closes a workspace tab). */
export function toggleFocusedRow(): boolean {
  const row = document.activeElement?.closest("tr");
  const box = row?.querySelector<HTMLInputElement>("input[data-bulk-check]");
  if (!box || box.disabled) return false;
  box.click();
  return true;
}
