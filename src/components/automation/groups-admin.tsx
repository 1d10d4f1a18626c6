"use client";

import { useId, useState, type FormEvent } from "react";
import { api } from "../api-client";
import { ActionFeedback, useApiAction } from "../use-api-action";
import { useHydrated } from "../use-hydrated";
import s from "../admin/admin.module.css";
import { Field } from "../field";
import { ConfirmDialog } from "../admin/confirm-dialog";
import type { Named } from "./rule-model";
import type { components } from "@/lib/api-types";

// Admin → Groups: agent groups (teams) with their members and who is away. Assignment strategy
// (round-robin or fewest open tickets) is chosen per rule action, so one team serves both.

export type GroupData = components["schemas"]["Group"];

function issueOf(failure: { issues: { path: string; message: string }[] } | null, path: string) {
  const list = failure?.issues.filter((i) => i.path === path || i.path.startsWith(`${path}.`)) ?? [];
  return list.length ? list.map((i) => i.message).join("; ") : null;
}

/** Name and member checkboxes; used to create a group and to edit one. */
function GroupForm({ group, agents, onDone }: { group: GroupData | null; agents: Named[]; onDone: () => void }) {
  const id = useId().replace(/:/g, "");
  const { run, busy, status, failure } = useApiAction();
  const [name, setName] = useState(group?.name ?? "");
  const [members, setMembers] = useState<Set<string>>(new Set(group?.members.map((m) => m.userId) ?? []));
  const hydrated = useHydrated();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body = { name, memberIds: agents.filter((a) => members.has(a.id)).map((a) => a.id) };
    const r = group
      ? await run(
          () => api<GroupData>("PATCH", `/api/v1/groups/${group.id}`, body),
          (g) => `Group ${g.name} saved.`,
        )
      : await run(
          () => api<GroupData>("POST", "/api/v1/groups", body),
          (g) => `Group ${g.name} created with ${g.members.length} ${g.members.length === 1 ? "member" : "members"}.`,
        );
    if (r.ok) {
      if (!group) {
        setName("");
        setMembers(new Set());
      }
      onDone();
    } else document.getElementById(`${id}-name`)?.focus();
  }

  const nameErr = issueOf(failure, "name");
  const memberErr = issueOf(failure, "memberIds");
  return (
    <>
      <form
        onSubmit={submit}
        noValidate
        className={s.section}
        aria-label={group ? `Edit group ${group.name}` : "New group"}
      >
        <Field id={`${id}-name`} label="Group name" error={nameErr}>
          {(aria) => (
            <input
              {...aria}
              value={name}
              maxLength={100}
              onChange={(e) => setName(e.target.value)}
              autoComplete="off"
            />
          )}
        </Field>
        <fieldset className={s.checks} aria-describedby={memberErr ? `${id}-members-err` : undefined}>
          <legend>Members</legend>
          {agents.map((a) => (
            <label key={a.id} className={s.check}>
              <input
                type="checkbox"
                checked={members.has(a.id)}
                onChange={(e) => {
                  const next = new Set(members);
                  if (e.target.checked) next.add(a.id);
                  else next.delete(a.id);
                  setMembers(next);
                }}
              />
              {a.name}
            </label>
          ))}
          {memberErr ? (
            <p id={`${id}-members-err`} className="field-error">
              {memberErr}
            </p>
          ) : null}
        </fieldset>
        <div className={s.formActions}>
          <button type="submit" className="button primary" disabled={busy || !hydrated} aria-busy={busy}>
            {group ? "Save group" : "Create group"}
          </button>
          {group ? (
            <button type="button" className="button subtle" onClick={onDone}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
      <ActionFeedback status={status} failure={failure} statusTestId={group ? undefined : "group-status"} />
    </>
  );
}

export function NewGroupForm({ agents }: { agents: Named[] }) {
  return <GroupForm group={null} agents={agents} onDone={() => undefined} />;
}

export function GroupsAdmin({ groups, agents }: { groups: GroupData[]; agents: Named[] }) {
  const { run, busyKey, status, failure } = useApiAction();
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<GroupData | null>(null);
  const nameOf = (uid: string) => agents.find((a) => a.id === uid)?.name ?? "Former user";

  if (groups.length === 0) return <p className="muted">No groups yet.</p>;
  return (
    <>
      <div className={s.tableWrap}>
        <table className={s.table} data-testid="group-list">
          <caption className="visually-hidden">Groups</caption>
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Members</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={g.id}>
                <td>
                  <strong>{g.name}</strong>
                </td>
                <td>
                  {editing === g.id ? (
                    <GroupForm group={g} agents={agents} onDone={() => setEditing(null)} />
                  ) : g.members.length === 0 ? (
                    <span className="muted">No members</span>
                  ) : (
                    <ul className="plain-list">
                      {g.members.map((m) => (
                        <li key={m.userId}>
                          {nameOf(m.userId)} {m.away ? <span className={`${s.badge} ${s.badgeWarn}`}>away</span> : null}{" "}
                          <button
                            type="button"
                            className="button subtle"
                            disabled={busyKey === `${g.id}:${m.userId}`}
                            aria-label={
                              m.away
                                ? `Mark ${nameOf(m.userId)} back in ${g.name}`
                                : `Mark ${nameOf(m.userId)} away in ${g.name}`
                            }
                            onClick={() =>
                              run(
                                () =>
                                  api<GroupData>("PATCH", `/api/v1/groups/${g.id}/members/${m.userId}`, {
                                    away: !m.away,
                                  }),
                                () => `${nameOf(m.userId)} is ${m.away ? "back" : "away"} in ${g.name}.`,
                                { key: `${g.id}:${m.userId}` },
                              )
                            }
                          >
                            {m.away ? "Mark back" : "Mark away"}
                          </button>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td className={s.rowActions}>
                  {editing !== g.id ? (
                    <button
                      type="button"
                      className="button subtle"
                      onClick={() => setEditing(g.id)}
                      aria-label={`Edit ${g.name}`}
                    >
                      Edit
                    </button>
                  ) : null}
                  <button
                    type="button"
                    className={`button ${s.dangerOutline}`}
                    onClick={() => setDeleting(g)}
                    aria-label={`Delete ${g.name}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ActionFeedback status={status} failure={failure} />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this group?"
        confirmLabel="Delete group"
        danger
        busy={deleting !== null && busyKey === deleting.id}
        onCancel={() => setDeleting(null)}
        onConfirm={async () => {
          const g = deleting!;
          await run(
            () => api<void>("DELETE", `/api/v1/groups/${g.id}`),
            () => `Group ${g.name} deleted.`,
            { key: g.id },
          );
          setDeleting(null);
        }}
      >
        <p>
          Rules that assign to or email “{deleting?.name}” will fail (and show the error) until they are edited. Its
          members keep their tickets.
        </p>
      </ConfirmDialog>
    </>
  );
}
