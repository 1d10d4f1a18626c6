"use client";

import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import { PRIORITY_KEYS, PRIORITY_LABELS, STATUS_KEYS, STATUS_LABELS, parseTags, statusLabel, priorityLabel } from "@/lib/ticket-labels";
import { api, describeFailure } from "../api-client";
import { EnumOptions } from "@/components/enum-options";

type Agent = { id: string; name: string };
type Values = { status: string; priority: string; assigneeId: string | null; tags: string[] };
type Props = Values & { ticketId: string; agents: Agent[]; selfId: string };

type Patch = Partial<{ status: string; priority: string; assigneeId: string | null; tags: string[] }>;

/**
 * Staff side panel: each change is saved at once (PATCH), announced in a live region, and the
 * page refreshes so the conversation, SLA badges and history reflect it. A refused change is
 * rolled back in the control and the API's reason shown.
 */
export function TicketProperties({ ticketId, agents, selfId, ...saved }: Props) {
  const router = useRouter();
  const id = useId();
  const [values, setValues] = useState<Values>(saved);
  const [tagsText, setTagsText] = useState(saved.tags.join(", "));
  const [seen, setSeen] = useState<Values>(saved);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");

  // When the server sends newer values (after a refresh), they win over the local copy.
  const fresh = saved.status !== seen.status || saved.priority !== seen.priority || saved.assigneeId !== seen.assigneeId || saved.tags.join() !== seen.tags.join();
  if (fresh) {
    setSeen(saved);
    setValues(saved);
    setTagsText(saved.tags.join(", "));
  }

  const closed = saved.status === "closed";
  const nameOf = (aid: string | null) => (aid === null ? "nobody" : aid === selfId ? "you" : (agents.find((a) => a.id === aid)?.name ?? "that agent"));

  async function save(patch: Patch, announce: string) {
    const before = values;
    setValues({ ...values, ...patch } as Values);
    setPending(true);
    setError(null);
    setStatus("Saving…");
    const r = await api("PATCH", `/api/v1/tickets/${ticketId}`, patch);
    setPending(false);
    if (!r.ok) {
      setValues(before);
      setStatus("");
      setError(describeFailure(r.error));
      return;
    }
    setStatus(announce);
    router.refresh();
  }

  function saveTags(e: FormEvent) {
    e.preventDefault();
    const tags = parseTags(tagsText);
    void save({ tags }, tags.length ? `Tags saved: ${tags.join(", ")}.` : "Tags cleared.");
  }

  return (
    <div className="properties" aria-busy={pending}>
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select id={`${id}-status`} value={values.status} disabled={closed} onChange={(e) => void save({ status: e.target.value }, `Status set to ${statusLabel(e.target.value)}.`)}>
          <EnumOptions keys={STATUS_KEYS} labels={STATUS_LABELS} />
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-priority`}>Priority</label>
        <select id={`${id}-priority`} value={values.priority} disabled={closed} onChange={(e) => void save({ priority: e.target.value }, `Priority set to ${priorityLabel(e.target.value)}.`)}>
          <EnumOptions keys={PRIORITY_KEYS} labels={PRIORITY_LABELS} />
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-assignee`}>Assignee</label>
        <select
          id={`${id}-assignee`}
          value={values.assigneeId ?? ""}
          disabled={closed}
          onChange={(e) => {
            const v = e.target.value || null;
            void save({ assigneeId: v }, v ? `Assigned to ${nameOf(v)}.` : "Unassigned.");
          }}
        >
          <option value="">Unassigned</option>
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.id === selfId ? `${a.name} (you)` : a.name}
            </option>
          ))}
        </select>
        {values.assigneeId !== selfId && !closed ? (
          <button type="button" className="button subtle take" onClick={() => void save({ assigneeId: selfId }, "Assigned to you.")} disabled={pending}>
            Assign to me
          </button>
        ) : null}
      </div>
      <form className="field" onSubmit={saveTags}>
        <label htmlFor={`${id}-tags`}>Tags</label>
        <div className="inline-input">
          <input id={`${id}-tags`} type="text" value={tagsText} disabled={closed} onChange={(e) => setTagsText(e.target.value)} aria-describedby={`${id}-tags-hint`} autoCapitalize="none" spellCheck={false} />
          <button type="submit" className="button subtle" disabled={closed || pending}>
            Save
          </button>
        </div>
        <p id={`${id}-tags-hint`} className="hint">
          Separate tags with commas.
        </p>
      </form>
      {closed ? <p className="hint">Closed tickets are final and cannot be changed.</p> : null}
      <p role="status" className="save-status" data-testid="properties-status">
        {status}
      </p>
      <div role="alert">{error ? <p className="error">{error}</p> : null}</div>
    </div>
  );
}

/** The customer's only control: mark their own ticket solved, or reopen a solved one. */
export function CustomerStatusButton({ ticketId, status: current }: { ticketId: string; status: string }) {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const solved = current === "solved";

  async function change() {
    setPending(true);
    setError(null);
    const r = await api("PATCH", `/api/v1/tickets/${ticketId}`, { status: solved ? "open" : "solved" });
    setPending(false);
    if (!r.ok) {
      setError(describeFailure(r.error));
      return;
    }
    setNote(solved ? "Your request is open again." : "Marked as solved. Thank you!");
    router.refresh();
  }

  return (
    <div className="customer-status">
      <button type="button" className="button block" onClick={change} disabled={pending} aria-busy={pending}>
        {solved ? "Reopen request" : "Mark as solved"}
      </button>
      <p role="status" className="save-status">
        {note}
      </p>
      <div role="alert">{error ? <p className="error">{error}</p> : null}</div>
    </div>
  );
}
