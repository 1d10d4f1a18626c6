"use client";

import { useState } from "react";
import { api } from "../api-client";
import { ActionFeedback, useApiAction } from "../use-api-action";
import { useHydrated } from "../use-hydrated";
import s from "../admin/admin.module.css";
import { ConfirmDialog } from "../admin/confirm-dialog";
import { RuleEditor, ruleBase } from "./rule-editor";
import { ACTION_TYPES, CONDITION_FIELDS, opLabel, type RuleData, type RuleKind, type RuleRefs } from "./rule-model";

// Admin → Triggers and Admin → Time rules: the ordered list (move up/down, enable/disable, edit,
// delete behind a confirmation) and the editor for a new or an existing rule.

function summary(rule: RuleData): string {
  const value = (v: unknown) => (v === undefined ? "" : v === null ? " unassigned" : ` ${String(v)}`);
  const cond = [...rule.conditions.all, ...rule.conditions.any].map(
    (c) =>
      `${CONDITION_FIELDS[c.field]?.label ?? c.field}${typeof c.anchor === "string" ? ` ${c.anchor.replace(/_/g, " ")}` : ""} ${opLabel(c.op)}${value(c.value)}`,
  );
  const acts = rule.actions.map((a) => ACTION_TYPES[a.type] ?? a.type);
  return `${cond.length ? `When ${cond.join(rule.conditions.any.length && !rule.conditions.all.length ? " or " : ", ")}` : "Always"} → ${acts.join(", ")}`;
}

export function RulesAdmin({ kind, rules, refs }: { kind: RuleKind; rules: RuleData[]; refs: RuleRefs }) {
  const what = kind === "trigger" ? "trigger" : "time rule";
  const { run, busyKey, status, failure } = useApiAction();
  const [editing, setEditing] = useState<RuleData | "new" | null>(null);
  const [deleting, setDeleting] = useState<RuleData | null>(null);
  const [done, setDone] = useState("");
  // Buttons that only work once React runs are disabled until then (a click before would be lost).
  const hydrated = useHydrated();
  // The latest outcome is the one shown: a list action clears the editor's "saved" message.
  const act: typeof run = (call, done, options) => {
    setDone("");
    return run(call, done, options);
  };

  async function move(i: number, by: -1 | 1) {
    const ids = rules.map((r) => r.id);
    const [id] = ids.splice(i, 1);
    ids.splice(i + by, 0, id!);
    const r = rules[i]!;
    await act(
      () => api<{ data: RuleData[] }>("PUT", `${ruleBase(kind)}/order`, { ids }),
      () => `${r.name} moved to position ${i + by + 1}.`,
      { key: r.id, refreshOnFailure: true },
    );
  }

  return (
    <>
      {rules.length === 0 ? (
        <p className="muted">No {what}s yet.</p>
      ) : (
        <div className={s.tableWrap}>
          <table className={s.table} data-testid={`${kind}-list`}>
            <caption className="visually-hidden">
              {kind === "trigger" ? "Triggers, in the order they run" : "Time rules, in the order they run"}
            </caption>
            <thead>
              <tr>
                <th scope="col" className={s.num}>
                  #
                </th>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col" className={s.num}>
                  Fired
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.map((r, i) => (
                <tr key={r.id}>
                  <td className={s.num}>{i + 1}</td>
                  <td>
                    <strong>{r.name}</strong>
                    <span className="muted block">{summary(r)}</span>
                    {r.lastError ? <span className="error block">Last error: {r.lastError}</span> : null}
                  </td>
                  <td>
                    {r.active ? (
                      <span className={`${s.badge} ${s.badgeOk}`}>Enabled</span>
                    ) : (
                      <span className={s.badge}>Disabled</span>
                    )}
                  </td>
                  <td className={s.num}>{r.firedCount}</td>
                  <td className={s.rowActions}>
                    <button
                      type="button"
                      className="button subtle"
                      disabled={i === 0 || busyKey !== null}
                      onClick={() => void move(i, -1)}
                      aria-label={`Move ${r.name} up`}
                    >
                      Up
                    </button>
                    <button
                      type="button"
                      className="button subtle"
                      disabled={i === rules.length - 1 || busyKey !== null}
                      onClick={() => void move(i, 1)}
                      aria-label={`Move ${r.name} down`}
                    >
                      Down
                    </button>
                    <button
                      type="button"
                      className="button subtle"
                      disabled={busyKey === r.id}
                      aria-label={`${r.active ? "Disable" : "Enable"} ${r.name}`}
                      onClick={() =>
                        act(
                          () => api<RuleData>("PATCH", `${ruleBase(kind)}/${r.id}`, { active: !r.active }),
                          (x) => `${x.name} ${x.active ? "enabled" : "disabled"}.`,
                          { key: r.id },
                        )
                      }
                    >
                      {r.active ? "Disable" : "Enable"}
                    </button>
                    <button
                      type="button"
                      className="button subtle"
                      onClick={() => {
                        setDone("");
                        setEditing(r);
                      }}
                      aria-label={`Edit ${r.name}`}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      className={`button ${s.dangerOutline}`}
                      onClick={() => setDeleting(r)}
                      aria-label={`Delete ${r.name}`}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ActionFeedback status={done || status} failure={failure} statusTestId={`${kind}-status`} />
      {editing ? (
        <RuleEditor
          key={editing === "new" ? "new" : editing.id}
          kind={kind}
          rule={editing === "new" ? null : editing}
          refs={refs}
          onDone={(message) => {
            setEditing(null);
            setDone(message);
          }}
        />
      ) : (
        <div className={s.formActions}>
          <button
            type="button"
            className="button primary"
            disabled={!hydrated}
            onClick={() => {
              setDone("");
              setEditing("new");
            }}
          >
            New {what}
          </button>
        </div>
      )}
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete this ${what}?`}
        confirmLabel={`Delete ${what}`}
        danger
        busy={deleting !== null && busyKey === deleting.id}
        onCancel={() => setDeleting(null)}
        onConfirm={async () => {
          const r = deleting!;
          await act(
            () => api<void>("DELETE", `${ruleBase(kind)}/${r.id}`),
            () => `${r.name} deleted.`,
            { key: r.id },
          );
          setDeleting(null);
          if (editing !== null && editing !== "new" && editing.id === r.id) setEditing(null);
        }}
      >
        <p>“{deleting?.name}” stops running now. What it already changed on tickets stays.</p>
      </ConfirmDialog>
    </>
  );
}
