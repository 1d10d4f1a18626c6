"use client";

import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent } from "react";
import {
  PRIORITY_KEYS,
  PRIORITY_LABELS,
  STATUS_KEYS,
  STATUS_LABELS,
  parseTags,
  rebaseTagsText,
  statusLabel,
  priorityLabel,
} from "@/lib/ticket-labels";
import { api, describeFailure } from "../api-client";
import { EnumOptions } from "@/components/enum-options";
import { EditConflict, type ConflictField } from "@/components/edit-conflict";
import { announceTicketVersion, useTicketVersion, versionOfEtag } from "./ticket-version";

type Agent = { id: string; name: string };
type Values = { status: string; priority: string; assigneeId: string | null; groupId: string | null; tags: string[] };
/** `version`: the ticket's version the page loaded, sent as If-Match with every change (decision 043). */
type Props = Values & { ticketId: string; agents: Agent[]; groups: Agent[]; selfId: string; version: number };

type Patch = Partial<{ status: string; priority: string; assigneeId: string | null; groupId: string | null }>;
type Conflict = {
  patch: Patch;
  announce: string;
  mine: string;
  fields: ConflictField[];
  current: Values;
  etag: string;
};

/**
 * Staff side panel: each change is saved at once (PATCH), announced in a live region, and the
 * page refreshes so the conversation, SLA badges and history reflect it. A refused change is
 * rolled back in the control and the API's reason shown. Every change names the version it was
 * made on (If-Match): when someone changed the ticket meanwhile (412), the panel shows what
 * changed and lets the agent apply their change anyway or discard it. Tags are sent as
 * addTags/removeTags, which apply to the current tags, so they never overwrite anyone's.
 */
export function TicketProperties({ ticketId, agents, groups, selfId, version: savedVersion, ...saved }: Props) {
  const router = useRouter();
  const id = useId();
  const [values, setValues] = useState<Values>(saved);
  const [tagsText, setTagsText] = useState(saved.tags.join(", "));
  const [seen, setSeen] = useState<Values>(saved);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [etag, setEtag] = useState(`"${savedVersion}"`);
  const [seenVersion, setSeenVersion] = useState(savedVersion);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  // The custom fields panel's saves move the version too: adopt it, or the next change here is a false 412.
  useTicketVersion(ticketId, (v) => {
    if (v > (versionOfEtag(etag) ?? 0)) setEtag(`"${v}"`);
  });

  // When the server sends newer values (after a refresh, or another agent's change arriving live),
  // they win over the local copy; tags being typed keep the agent's edit on top of the newer tags.
  const fresh =
    savedVersion !== seenVersion ||
    saved.status !== seen.status ||
    saved.priority !== seen.priority ||
    saved.assigneeId !== seen.assigneeId ||
    saved.groupId !== seen.groupId ||
    saved.tags.join() !== seen.tags.join();
  if (fresh) {
    setSeen(saved);
    setSeenVersion(savedVersion);
    setEtag(`"${savedVersion}"`);
    setValues(saved);
    setTagsText(rebaseTagsText(tagsText, seen.tags, saved.tags));
  }

  const closed = saved.status === "closed";
  const groupName = (gid: string | null) =>
    gid === null ? "No group" : (groups.find((g) => g.id === gid)?.name ?? "another group");
  const nameOf = (aid: string | null) =>
    aid === null ? "nobody" : aid === selfId ? "you" : (agents.find((a) => a.id === aid)?.name ?? "that agent");

  const describe = (v: Values): Record<string, [string, string]> => ({
    status: ["Status", statusLabel(v.status)],
    priority: ["Priority", priorityLabel(v.priority)],
    assigneeId: ["Assignee", v.assigneeId === null ? "Unassigned" : nameOf(v.assigneeId)],
    groupId: ["Group", groupName(v.groupId)],
    tags: ["Tags", v.tags.length ? v.tags.join(", ") : "none"],
  });

  async function save(patch: Patch, announce: string, ifMatch = etag) {
    const before = values;
    setValues({ ...values, ...patch } as Values);
    setPending(true);
    setError(null);
    setConflict(null);
    setStatus("Saving…");
    const r = await api<Values>("PATCH", `/api/v1/tickets/${ticketId}`, patch, { ifMatch });
    if (!r.ok && r.error.status === 412) {
      // Changed since this page loaded it: show what, and let the agent decide.
      const now = await api<Values>("GET", `/api/v1/tickets/${ticketId}`);
      setPending(false);
      setStatus("");
      if (!now.ok || !now.etag) {
        setValues(before);
        setError(now.ok ? "This ticket has changed. Reload the page to see it." : describeFailure(now.error));
        return;
      }
      const current: Values = {
        status: now.data.status,
        priority: now.data.priority,
        assigneeId: now.data.assigneeId,
        groupId: now.data.groupId,
        tags: now.data.tags,
      };
      const was = describe(seen);
      const fields = Object.entries(describe(current))
        .filter(([k, [, text]]) => was[k]![1] !== text)
        .map(([k, [label, text]]) => ({ label, was: was[k]![1], now: text }));
      const mineNow = describe({ ...current, ...patch } as Values);
      const mine = Object.keys(patch)
        .map((k) => `${mineNow[k]![0]}: ${mineNow[k]![1]}`)
        .join(", ");
      setValues(current);
      setConflict({ patch, announce, mine, fields, current, etag: now.etag });
      // The rest of the page (chips, history) shows the current ticket too; the conflict stays until decided.
      router.refresh();
      return;
    }
    setPending(false);
    if (!r.ok) {
      setValues(before);
      setStatus("");
      setError(describeFailure(r.error));
      return;
    }
    if (r.etag) {
      setEtag(r.etag);
      announceTicketVersion(ticketId, r.etag);
    }
    setStatus(announce);
    router.refresh();
  }

  async function saveTags(e: FormEvent) {
    e.preventDefault();
    const tags = parseTags(tagsText);
    // Only what this agent added or removed: the tags as they are when it applies keep everyone else's.
    const addTags = tags.filter((t) => !seen.tags.includes(t));
    const removeTags = seen.tags.filter((t) => !tags.includes(t));
    if (!addTags.length && !removeTags.length) return;
    setPending(true);
    setError(null);
    setStatus("Saving…");
    const r = await api<Values>("PATCH", `/api/v1/tickets/${ticketId}`, {
      ...(addTags.length ? { addTags } : {}),
      ...(removeTags.length ? { removeTags } : {}),
    });
    setPending(false);
    if (!r.ok) {
      setStatus("");
      setError(describeFailure(r.error));
      return;
    }
    if (r.etag) {
      setEtag(r.etag);
      announceTicketVersion(ticketId, r.etag);
    }
    setTagsText(r.data.tags.join(", "));
    setStatus(r.data.tags.length ? `Tags saved: ${r.data.tags.join(", ")}.` : "Tags cleared.");
    router.refresh();
  }

  function discard() {
    if (!conflict) return;
    setConflict(null);
    setStatus("Your change was discarded; showing the current ticket.");
    router.refresh();
  }

  return (
    <div className="properties" aria-busy={pending}>
      <div className="field">
        <label htmlFor={`${id}-status`}>Status</label>
        <select
          id={`${id}-status`}
          value={values.status}
          disabled={closed}
          onChange={(e) => void save({ status: e.target.value }, `Status set to ${statusLabel(e.target.value)}.`)}
        >
          <EnumOptions keys={STATUS_KEYS} labels={STATUS_LABELS} />
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-priority`}>Priority</label>
        <select
          id={`${id}-priority`}
          value={values.priority}
          disabled={closed}
          onChange={(e) => void save({ priority: e.target.value }, `Priority set to ${priorityLabel(e.target.value)}.`)}
        >
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
          <button
            type="button"
            className="button subtle take"
            onClick={() => void save({ assigneeId: selfId }, "Assigned to you.")}
            disabled={pending}
          >
            Assign to me
          </button>
        ) : null}
      </div>
      <div className="field">
        <label htmlFor={`${id}-group`}>Group</label>
        <select
          id={`${id}-group`}
          value={values.groupId ?? ""}
          disabled={closed}
          onChange={(e) => {
            const v = e.target.value || null;
            void save({ groupId: v }, v ? `Group set to ${groupName(v)}.` : "Group cleared.");
          }}
        >
          <option value="">No group</option>
          {groups.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </select>
      </div>
      <form className="field" onSubmit={saveTags}>
        <label htmlFor={`${id}-tags`}>Tags</label>
        <div className="inline-input">
          <input
            id={`${id}-tags`}
            type="text"
            value={tagsText}
            disabled={closed}
            onChange={(e) => setTagsText(e.target.value)}
            aria-describedby={`${id}-tags-hint`}
            autoCapitalize="none"
            spellCheck={false}
          />
          <button type="submit" className="button subtle" disabled={closed || pending}>
            Save tags
          </button>
        </div>
        <p id={`${id}-tags-hint`} className="hint">
          Separate tags with commas.
        </p>
      </form>
      {conflict ? (
        <EditConflict
          fields={conflict.fields}
          mine={conflict.mine}
          busy={pending}
          onReapply={() => void save(conflict.patch, conflict.announce, conflict.etag)}
          onDiscard={discard}
        />
      ) : null}
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
