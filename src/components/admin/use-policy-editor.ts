import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { api, describeFailure } from "../api-client";
import { changedFields, type ConflictField } from "../edit-conflict";
import { useEtag } from "../use-etag";
import { defaultCalendar } from "./calendar-editor";
import {
  PRIORITY_LABELS,
  draftOf,
  draftRefusal,
  localProblems,
  noProblems,
  policyBody,
  problemsFrom,
  saveFailureMessage,
  shownPolicy,
  type Draft,
  type PolicyData,
  type Priority,
  type Problems,
} from "./sla-policy-draft";

type Conflict = { body: Record<string, unknown>; fields: ConflictField[]; etag: string };

/**
 * One policy card's state: viewing or editing, the draft, the last outcome, and the remove
 * confirmation. Saves name the version on screen (If-Match); when another admin saved first, the
 * conflict lists what changed and the admin chooses (decision 043).
 */
export function usePolicyEditor(priority: Priority, policy: PolicyData | null, defaultTimezone: string | null) {
  const router = useRouter();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<Draft>(() => draftOf(policy));
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [problems, setProblems] = useState<Problems>(noProblems);
  const [deleting, setDeleting] = useState(false);
  const etag = useEtag(policy ? `/api/v1/sla-policies/${policy.id}` : null, policy?.updatedAt);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const label = PRIORITY_LABELS[priority];

  function start() {
    setDraft(draftOf(policy));
    setProblems(noProblems);
    setError(null);
    setStatus("");
    setEditing(true);
  }

  function setBusinessHours(on: boolean) {
    const tz = defaultTimezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
    setDraft((d) => ({ ...d, businessHours: on, calendar: on && !d.calendar ? defaultCalendar(tz) : d.calendar }));
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    const local = localProblems(draft);
    const refusal = draftRefusal(draft, local);
    if (refusal) {
      setProblems(local);
      setError(refusal);
      return;
    }
    await send(policyBody(draft), etag);
  }

  /** On a 412, the policy as it is now: the conflict to show, or null to report the failure as usual. */
  async function conflictWith(body: Record<string, unknown>, current: PolicyData): Promise<Conflict | null> {
    const now = await api<PolicyData>("GET", `/api/v1/sla-policies/${current.id}`);
    if (!now.ok || !now.etag) return null;
    return { body, fields: changedFields(shownPolicy(current), shownPolicy(now.data)), etag: now.etag };
  }

  async function send(body: Record<string, unknown>, ifMatch: string | undefined) {
    setBusy(true);
    setError(null);
    setProblems(noProblems);
    setStatus("");
    setConflict(null);
    const r = policy
      ? await api<PolicyData>("PATCH", `/api/v1/sla-policies/${policy.id}`, body, { ifMatch })
      : await api<PolicyData>("POST", "/api/v1/sla-policies", { priority, ...body });
    const stale = policy && !r.ok && r.error.status === 412 ? await conflictWith(body, policy) : null;
    setBusy(false);
    if (stale) return setConflict(stale);
    if (!r.ok) {
      setProblems(problemsFrom(r.error, draft));
      setError(saveFailureMessage(r.error));
      return;
    }
    setEditing(false);
    setStatus(`${label} policy saved. Open ${label.toLowerCase()} tickets get the new targets in the background.`);
    router.refresh();
  }

  async function remove() {
    if (!policy) return;
    setBusy(true);
    setError(null);
    const r = await api("DELETE", `/api/v1/sla-policies/${policy.id}`);
    setBusy(false);
    setDeleting(false);
    if (!r.ok) return setError(describeFailure(r.error));
    setEditing(false);
    setStatus(`${label} policy removed.`);
    router.refresh();
  }

  function discardMine() {
    setConflict(null);
    setEditing(false);
    router.refresh();
  }

  return {
    label,
    editing,
    start,
    cancel: () => setEditing(false),
    draft,
    setDraft,
    setBusinessHours,
    busy,
    status,
    error,
    problems,
    conflict,
    save,
    reapply: (c: Conflict) => send(c.body, c.etag),
    discardMine,
    deleting,
    askRemove: () => setDeleting(true),
    cancelRemove: () => setDeleting(false),
    remove,
  };
}

export type PolicyEditor = ReturnType<typeof usePolicyEditor>;
