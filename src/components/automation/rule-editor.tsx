"use client";

import { useRouter } from "next/navigation";
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";
import { api, describeFailure, type ApiFailure } from "../api-client";
import s from "../admin/admin.module.css";
import { useValidation } from "./use-validation";
import { ActionList, ConditionGroup, FieldError, errorProps, knownPaths } from "./rule-fields";
import {
  EVENT_OPTIONS,
  actionToRow,
  conditionToRow,
  describeChange,
  describeEffect,
  newAction,
  newCondition,
  placeIssues,
  rowToAction,
  rowToCondition,
  type ActRow,
  type CondRow,
  type RuleData,
  type RuleKind,
  type RuleRefs,
} from "./rule-model";
import type { components } from "@/lib/api-types";

// The rule editor (issue 13 item 5, decision 045): one form for triggers and time rules. Every
// change is checked by the API's validate endpoint (debounced), and each issue is shown under the
// control its path names; "Test against ticket #n" is a dry run of the draft (nothing is written).

type TestResult = components["schemas"]["RuleTestResult"];

export function ruleBase(kind: RuleKind) {
  return kind === "trigger" ? "/api/v1/triggers" : "/api/v1/automations";
}

export function RuleEditor({
  kind,
  rule,
  refs,
  onDone,
}: {
  kind: RuleKind;
  rule: RuleData | null;
  refs: RuleRefs;
  onDone: (message: string) => void;
}) {
  const router = useRouter();
  const base = useId().replace(/:/g, "");
  const what = kind === "trigger" ? "trigger" : "time rule";
  const [name, setName] = useState(rule?.name ?? "");
  const [active, setActive] = useState(rule?.active ?? true);
  const [all, setAll] = useState<CondRow[]>(() =>
    rule ? rule.conditions.all.map(conditionToRow) : [newCondition(kind)],
  );
  const [any, setAny] = useState<CondRow[]>(() => (rule ? rule.conditions.any.map(conditionToRow) : []));
  const [actions, setActions] = useState<ActRow[]>(() => (rule ? rule.actions.map(actionToRow) : [newAction()]));
  const [touched, setTouched] = useState(Boolean(rule));
  const [saving, setSaving] = useState(false);
  const [saveFailure, setSaveFailure] = useState<ApiFailure | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);

  const body = useMemo(
    () => ({
      name,
      active,
      conditions: { all: all.map(rowToCondition), any: any.map(rowToCondition) },
      actions: actions.map(rowToAction),
    }),
    [name, active, all, any, actions],
  );
  // NaN (an empty hours field) is sent as null, which the API names as the bad value.
  const json = JSON.stringify(body, (_k, v) => (typeof v === "number" && Number.isNaN(v) ? null : v));

  // Validate as you type: the latest draft only, once typing pauses.
  const { issues, checking, checkFailure } = useValidation(`${ruleBase(kind)}/validate`, json, touched);

  useEffect(() => nameRef.current?.focus(), []);

  const known = knownPaths(all, any, actions, ["active"]);
  const shown = saveFailure?.status === 400 && saveFailure.issues.length ? saveFailure.issues : issues;
  const { at: errors, rest } = placeIssues(shown, known);
  const problems = shown.length;

  async function save(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    setSaving(true);
    setSaveFailure(null);
    const payload = JSON.parse(json) as Record<string, unknown>;
    const r = rule
      ? await api<RuleData>("PATCH", `${ruleBase(kind)}/${rule.id}`, payload)
      : await api<RuleData>("POST", ruleBase(kind), payload);
    setSaving(false);
    if (!r.ok) {
      setSaveFailure(r.error);
      const first = r.error.issues[0]?.path;
      if (first) {
        const { at } = placeIssues([r.error.issues[0]!], known);
        const path = [...at.keys()][0];
        if (path) document.getElementById(`${base}-${path.replace(/\./g, "-")}`)?.focus();
      }
      return;
    }
    router.refresh();
    onDone(rule ? `${r.data.name} saved.` : `${r.data.name} created${r.data.active ? "" : " (disabled)"}.`);
  }

  const edit =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setTouched(true);
      setSaveFailure(null);
    };

  return (
    <div className="rule-editor" data-testid="rule-editor">
      <form onSubmit={save} noValidate aria-labelledby={`${base}-title`}>
        <h3 id={`${base}-title`}>{rule ? `Edit ${what} “${rule.name}”` : `New ${what}`}</h3>
        <div className={s.formGrid}>
          <div className="field">
            <label htmlFor={`${base}-name`}>Name</label>
            <input
              ref={nameRef}
              {...errorProps(base, "name", errors)}
              type="text"
              value={name}
              maxLength={100}
              autoComplete="off"
              onChange={(e) => edit(setName)(e.target.value)}
            />
            <FieldError base={base} path="name" errors={errors} />
          </div>
          <label className={s.check}>
            <input type="checkbox" checked={active} onChange={(e) => edit(setActive)(e.target.checked)} />
            Enabled
          </label>
        </div>
        {kind === "automation" ? (
          <p className="hint">
            A time rule runs when its time comes: it needs an “Hours since … at least” condition in “all”, and fires
            once per ticket per window.
          </p>
        ) : (
          <p className="hint">
            A trigger runs inside every ticket write (created, updated, commented), in the order of the list.
          </p>
        )}
        <FieldError base={base} path="conditions" errors={errors} />
        <ConditionGroup
          kind={kind}
          group="all"
          rows={all}
          onChange={edit(setAll)}
          refs={refs}
          errors={errors}
          base={base}
        />
        <ConditionGroup
          kind={kind}
          group="any"
          rows={any}
          onChange={edit(setAny)}
          refs={refs}
          errors={errors}
          base={base}
        />
        <ActionList rows={actions} onChange={edit(setActions)} refs={refs} errors={errors} base={base} />
        <p className="hint">
          Notes and emails may use placeholders such as <code>{"{{requester.first_name}}"}</code>,{" "}
          <code>{"{{ticket.number}}"}</code>, <code>{"{{agent.name}}"}</code>.
        </p>

        <div className="validation-summary" data-testid="rule-validation">
          <p role="status" className={problems ? "field-error" : "hint"}>
            {!touched
              ? ""
              : checking
                ? "Checking…"
                : problems
                  ? `${problems} ${problems === 1 ? "problem" : "problems"} to fix.`
                  : "The rule is valid."}
          </p>
          {rest.length ? (
            <ul className="field-error">
              {rest.map((i) => (
                <li key={`${i.path}:${i.message}`}>{i.path ? `${i.path}: ${i.message}` : i.message}</li>
              ))}
            </ul>
          ) : null}
          {checkFailure ? <p className="hint">Could not check the rule right now: {checkFailure}</p> : null}
        </div>
        <div role="alert" className={s.alert}>
          {saveFailure && !(saveFailure.status === 400 && saveFailure.issues.length) ? (
            <p className="error">{describeFailure(saveFailure)}</p>
          ) : null}
        </div>
        <div className={s.formActions}>
          <button type="submit" className="button primary" disabled={saving} aria-busy={saving}>
            {saving ? "Saving…" : rule ? "Save changes" : `Create ${what}`}
          </button>
          <button type="button" className="button subtle" onClick={() => onDone("")}>
            Cancel
          </button>
        </div>
      </form>
      <DryRun kind={kind} json={json} refs={refs} />
    </div>
  );
}

/** "Test against ticket #n": the draft as it stands, against one ticket, changing nothing. */
function DryRun({ kind, json, refs }: { kind: RuleKind; json: string; refs: RuleRefs }) {
  const id = useId().replace(/:/g, "");
  const [number, setNumber] = useState("");
  const [event, setEvent] = useState("created");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<TestResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const nameOf = (uid: string | null) =>
    uid ? (refs.agents.find((a) => a.id === uid)?.name ?? "an unknown agent") : "nobody";

  async function test(e: FormEvent) {
    e.preventDefault();
    const n = Number(number);
    if (!Number.isInteger(n) || n < 1) {
      setFailure("Enter a ticket number, such as 12.");
      setResult(null);
      return;
    }
    setBusy(true);
    setFailure(null);
    const body = { ticketNumber: n, rule: JSON.parse(json) as unknown, ...(kind === "trigger" ? { event } : {}) };
    const r = await api<TestResult>("POST", `${ruleBase(kind)}/test`, body);
    setBusy(false);
    if (r.ok) setResult(r.data);
    else {
      setResult(null);
      setFailure(r.error.status === 404 ? `There is no ticket #${n}.` : describeFailure(r.error));
    }
  }

  const changes = result ? Object.entries(result.changes) : [];
  return (
    <form className="dry-run" onSubmit={test} noValidate aria-labelledby={`${id}-title`} data-testid="dry-run">
      <h4 id={`${id}-title`}>Test against a ticket</h4>
      <p className="hint">
        A dry run of the rule as it is in the form (saved or not): nothing is written, no one is emailed.
      </p>
      <div className={s.inlineFields}>
        <div className="field">
          <label htmlFor={`${id}-number`}>Ticket number</label>
          <input
            id={`${id}-number`}
            type="number"
            min={1}
            inputMode="numeric"
            value={number}
            onChange={(e) => setNumber(e.target.value)}
            aria-invalid={failure ? true : undefined}
            aria-describedby={failure ? `${id}-err` : undefined}
          />
        </div>
        {kind === "trigger" ? (
          <div className="field">
            <label htmlFor={`${id}-event`}>As if</label>
            <select id={`${id}-event`} value={event} onChange={(e) => setEvent(e.target.value)}>
              {EVENT_OPTIONS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <button type="submit" className="button" disabled={busy} aria-busy={busy}>
          {busy ? "Testing…" : number ? `Test against ticket #${number}` : "Test against ticket"}
        </button>
      </div>
      <div role="alert" className={s.alert} id={`${id}-err`}>
        {failure ? <p className="error">{failure}</p> : null}
      </div>
      <div aria-live="polite" data-testid="dry-run-result">
        {result ? (
          <div className="dry-run-result">
            <p>
              <strong>
                {result.matched ? "Matches: the rule would fire." : "Does not match: the rule would not fire."}
              </strong>
            </p>
            {result.matched ? (
              changes.length || result.effects.length ? (
                <ul>
                  {changes.map(([field, c]) => (
                    <li key={field}>{describeChange(field, c, nameOf)}</li>
                  ))}
                  {result.effects.map((e, i) => (
                    <li key={i}>{describeEffect(e, refs)}</li>
                  ))}
                </ul>
              ) : (
                <p className="muted">It would change nothing on this ticket.</p>
              )
            ) : null}
          </div>
        ) : null}
      </div>
    </form>
  );
}
