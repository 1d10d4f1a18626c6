"use client";

import type { ReactNode } from "react";
import s from "../admin/admin.module.css";
import { errorId, Field as SharedField } from "../field";
import {
  ACTION_TYPES,
  ANCHOR_OPTIONS,
  BOOLEAN_OPTIONS,
  CHANNEL_OPTIONS,
  CONDITION_FIELDS,
  EVENT_OPTIONS,
  NOTIFY_TARGETS,
  PRIORITY_OPTIONS,
  STATUS_OPTIONS,
  STRATEGY_OPTIONS,
  actionFields,
  defaultValue,
  fieldsFor,
  newAction,
  newCondition,
  opLabel,
  opNeedsValue,
  opsFor,
  type ActRow,
  type CondRow,
  type Option,
  type RuleKind,
  type RuleRefs,
} from "./rule-model";

// The rows of the rule editor and the macro editor: conditions (field, operator, value) and
// actions, each control labelled, each API issue shown under the control it names and tied to it
// with aria-describedby (decision 045).

export type Errors = Map<string, string[]>;

/** Control ids are derived from the API path, so an issue's path finds its control. */
export const controlId = (base: string, path: string) => `${base}-${path.replace(/\./g, "-")}`;

/** id, aria-invalid and aria-describedby for a control: its own issues, and those of its row (`also`) shown under the row. */
export function errorProps(base: string, path: string, errors: Errors, also: string[] = []) {
  const withErrors = [path, ...also].filter((p) => (errors.get(p)?.length ?? 0) > 0);
  return {
    id: controlId(base, path),
    "aria-invalid": withErrors.length > 0 || undefined,
    "aria-describedby": withErrors.length ? withErrors.map((p) => errorId(controlId(base, p))).join(" ") : undefined,
  };
}

export function FieldError({ base, path, errors }: { base: string; path: string; errors: Errors }) {
  const list = errors.get(path);
  if (!list?.length) return null;
  return (
    <p id={errorId(controlId(base, path))} className="field-error" data-testid={`error-${path}`}>
      {list.join("; ")}
    </p>
  );
}

function Select({
  options,
  value,
  onChange,
  blank,
  ...rest
}: { options: Option[]; value: string; onChange: (v: string) => void; blank?: string } & Record<string, unknown>) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} {...rest}>
      {blank !== undefined ? <option value="">{blank}</option> : null}
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/** A rule row's control under the shared Field: its id and error line come from the API path it edits. */
function Field({
  base,
  path,
  label,
  errors,
  children,
}: {
  base: string;
  path: string;
  label: string;
  errors: Errors;
  children: ReactNode;
}) {
  return (
    <SharedField
      id={controlId(base, path)}
      label={label}
      error={errors.get(path)?.join("; ")}
      errorTestId={`error-${path}`}
    >
      {children}
    </SharedField>
  );
}

const named = (list: { id: string; name: string }[]): Option[] => list.map((x) => ({ value: x.id, label: x.name }));

/** One group of conditions ("all" or "any"): rows of field, operator, value, with add and remove. */
export function ConditionGroup({
  kind,
  group,
  rows,
  onChange,
  refs,
  errors,
  base,
}: {
  kind: RuleKind;
  group: "all" | "any";
  rows: CondRow[];
  onChange: (rows: CondRow[]) => void;
  refs: RuleRefs;
  errors: Errors;
  base: string;
}) {
  const title = group === "all" ? "All of these conditions" : "Any of these conditions";
  const set = (i: number, patch: Partial<CondRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset className="rule-group" data-testid={`conditions-${group}`}>
      <legend>{title}</legend>
      <FieldError base={base} path={`conditions.${group}`} errors={errors} />
      {rows.length === 0 ? (
        <p className="muted">
          {group === "all" ? "No conditions: every ticket matches this group." : "None (this group is skipped)."}
        </p>
      ) : null}
      <ol className="rule-rows">
        {rows.map((r, i) => {
          const p = `conditions.${group}.${i}`;
          const spec = CONDITION_FIELDS[r.field];
          const n = i + 1;
          const ops = opsFor(kind, r.field);
          return (
            <li key={r.key} className="rule-row">
              <div className={s.inlineFields}>
                <Field base={base} path={`${p}.field`} label={`Field (condition ${n})`} errors={errors}>
                  <Select
                    {...errorProps(base, `${p}.field`, errors, opNeedsValue(r.op) ? [] : [p])}
                    options={fieldsFor(kind)}
                    value={r.field}
                    onChange={(field) => set(i, { field, op: opsFor(kind, field)[0]!, value: defaultValue(field) })}
                  />
                </Field>
                {r.field === "hours_since" ? (
                  <Field base={base} path={`${p}.anchor`} label={`Since (condition ${n})`} errors={errors}>
                    <Select
                      {...errorProps(base, `${p}.anchor`, errors)}
                      options={ANCHOR_OPTIONS}
                      value={r.anchor}
                      onChange={(anchor) => set(i, { anchor })}
                    />
                  </Field>
                ) : null}
                <Field base={base} path={`${p}.op`} label={`Operator (condition ${n})`} errors={errors}>
                  <Select
                    {...errorProps(base, `${p}.op`, errors)}
                    options={ops.map((o) => ({ value: o, label: opLabel(o) }))}
                    value={r.op}
                    onChange={(op) => set(i, { op })}
                  />
                </Field>
                {opNeedsValue(r.op) ? (
                  <Field base={base} path={`${p}.value`} label={`Value (condition ${n})`} errors={errors}>
                    <ConditionValue
                      kind={spec?.value ?? "text"}
                      row={r}
                      refs={refs}
                      placeholder={spec?.placeholder}
                      props={errorProps(base, `${p}.value`, errors, [p])}
                      onChange={(value) => set(i, { value })}
                    />
                  </Field>
                ) : null}
                {r.field === "business_hours" ? (
                  <Field base={base} path={`${p}.calendarId`} label={`Calendar (condition ${n})`} errors={errors}>
                    <Select
                      {...errorProps(base, `${p}.calendarId`, errors)}
                      options={named(refs.calendars)}
                      blank="Choose a calendar"
                      value={r.calendarId}
                      onChange={(calendarId) => set(i, { calendarId })}
                    />
                  </Field>
                ) : null}
                <button
                  type="button"
                  className={`button subtle ${s.dangerOutline}`}
                  onClick={() => onChange(rows.filter((_, j) => j !== i))}
                  aria-label={`Remove condition ${n} of ${title.toLowerCase()}`}
                >
                  Remove
                </button>
              </div>
              <FieldError base={base} path={p} errors={errors} />
            </li>
          );
        })}
      </ol>
      <div>
        <button
          type="button"
          className="button subtle"
          onClick={() => onChange([...rows, newCondition(kind)])}
          disabled={rows.length >= 50}
        >
          Add a condition to “{group === "all" ? "all" : "any"}”
        </button>
      </div>
    </fieldset>
  );
}

function ConditionValue({
  kind,
  row,
  refs,
  placeholder,
  props,
  onChange,
}: {
  kind: string;
  row: CondRow;
  refs: RuleRefs;
  placeholder?: string;
  props: Record<string, unknown>;
  onChange: (v: string) => void;
}) {
  switch (kind) {
    case "status":
      return <Select {...props} options={STATUS_OPTIONS} value={row.value} onChange={onChange} />;
    case "priority":
      return <Select {...props} options={PRIORITY_OPTIONS} value={row.value} onChange={onChange} />;
    case "agent":
      return (
        <Select {...props} options={named(refs.agents)} blank="Unassigned" value={row.value} onChange={onChange} />
      );
    case "group":
      return <Select {...props} options={named(refs.groups)} blank="No group" value={row.value} onChange={onChange} />;
    case "channel":
      return <Select {...props} options={CHANNEL_OPTIONS} value={row.value} onChange={onChange} />;
    case "event":
      return <Select {...props} options={EVENT_OPTIONS} value={row.value} onChange={onChange} />;
    case "boolean":
      return <Select {...props} options={BOOLEAN_OPTIONS} value={row.value} onChange={onChange} />;
    case "hours":
      return (
        <input
          {...props}
          type="number"
          min={0}
          max={24 * 366}
          step={1}
          value={row.value}
          onChange={(e) => onChange(e.target.value)}
        />
      );
    default:
      return (
        <input
          {...props}
          type="text"
          value={row.value}
          placeholder={placeholder}
          maxLength={253}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => onChange(e.target.value)}
        />
      );
  }
}

const TEXT_LABELS: Record<string, string> = { subject: "Email subject", title: "Notification title", body: "Text" };

/** The actions, in the order they run; `types` limits what can be chosen (macros). */
export function ActionList({
  rows,
  onChange,
  refs,
  errors,
  base,
  types = Object.keys(ACTION_TYPES),
  min = 1,
}: {
  rows: ActRow[];
  onChange: (rows: ActRow[]) => void;
  refs: RuleRefs;
  errors: Errors;
  base: string;
  types?: string[];
  min?: number;
}) {
  const set = (i: number, patch: Partial<ActRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const typeOptions = types.map((t) => ({ value: t, label: ACTION_TYPES[t] ?? t }));
  return (
    <fieldset className="rule-group" data-testid="actions">
      <legend>Actions, in order</legend>
      <FieldError base={base} path="actions" errors={errors} />
      {rows.length === 0 ? <p className="muted">No actions.</p> : null}
      <ol className="rule-rows">
        {rows.map((r, i) => {
          const p = `actions.${i}`;
          const n = i + 1;
          const control = (key: string) => {
            const path = `${p}.${key}`;
            const props = errorProps(base, path, errors);
            switch (key) {
              case "value":
                if (r.type === "set_status")
                  return (
                    <Field key={key} base={base} path={path} label={`Status (action ${n})`} errors={errors}>
                      <Select
                        {...props}
                        options={STATUS_OPTIONS}
                        value={r.value}
                        onChange={(value) => set(i, { value })}
                      />
                    </Field>
                  );
                if (r.type === "set_priority")
                  return (
                    <Field key={key} base={base} path={path} label={`Priority (action ${n})`} errors={errors}>
                      <Select
                        {...props}
                        options={PRIORITY_OPTIONS}
                        value={r.value}
                        onChange={(value) => set(i, { value })}
                      />
                    </Field>
                  );
                if (r.type === "set_assignee")
                  return (
                    <Field key={key} base={base} path={path} label={`Assignee (action ${n})`} errors={errors}>
                      <Select
                        {...props}
                        options={named(refs.agents)}
                        blank="Unassigned"
                        value={r.value}
                        onChange={(value) => set(i, { value })}
                      />
                    </Field>
                  );
                return (
                  <Field
                    key={key}
                    base={base}
                    path={path}
                    label={`Tags, comma separated (action ${n})`}
                    errors={errors}
                  >
                    <input
                      {...props}
                      type="text"
                      value={r.value}
                      autoComplete="off"
                      autoCapitalize="none"
                      spellCheck={false}
                      onChange={(e) => set(i, { value: e.target.value })}
                    />
                  </Field>
                );
              case "groupId":
                return (
                  <Field key={key} base={base} path={path} label={`Group (action ${n})`} errors={errors}>
                    <Select
                      {...props}
                      options={named(refs.groups)}
                      blank="Choose a group"
                      value={r.groupId}
                      onChange={(groupId) => set(i, { groupId })}
                    />
                  </Field>
                );
              case "strategy":
                return (
                  <Field key={key} base={base} path={path} label={`Assignment (action ${n})`} errors={errors}>
                    <Select
                      {...props}
                      options={STRATEGY_OPTIONS}
                      value={r.strategy}
                      onChange={(strategy) => set(i, { strategy })}
                    />
                  </Field>
                );
              case "target":
                return (
                  <Field key={key} base={base} path={path} label={`Notify (action ${n})`} errors={errors}>
                    <Select
                      {...props}
                      options={NOTIFY_TARGETS}
                      value={r.target}
                      onChange={(target) => set(i, { target })}
                    />
                  </Field>
                );
              case "webhookId":
                return (
                  <Field key={key} base={base} path={path} label={`Webhook (action ${n})`} errors={errors}>
                    <Select
                      {...props}
                      options={named(refs.webhooks)}
                      blank="Choose a webhook"
                      value={r.webhookId}
                      onChange={(webhookId) => set(i, { webhookId })}
                    />
                  </Field>
                );
              case "body":
                return (
                  <Field
                    key={key}
                    base={base}
                    path={path}
                    label={`${r.type === "add_note" ? "Note" : "Message"} (action ${n})`}
                    errors={errors}
                  >
                    <textarea
                      {...props}
                      rows={3}
                      value={r.body}
                      maxLength={10_000}
                      onChange={(e) => set(i, { body: e.target.value })}
                    />
                  </Field>
                );
              default:
                return (
                  <Field
                    key={key}
                    base={base}
                    path={path}
                    label={`${TEXT_LABELS[key] ?? key} (action ${n})`}
                    errors={errors}
                  >
                    <input
                      {...props}
                      type="text"
                      value={key === "subject" ? r.subject : r.title}
                      maxLength={200}
                      onChange={(e) =>
                        set(i, key === "subject" ? { subject: e.target.value } : { title: e.target.value })
                      }
                    />
                  </Field>
                );
            }
          };
          return (
            <li key={r.key} className="rule-row">
              <div className={s.inlineFields}>
                <Field base={base} path={`${p}.type`} label={`Action ${n}`} errors={errors}>
                  <Select
                    {...errorProps(base, `${p}.type`, errors, [p])}
                    options={typeOptions}
                    value={r.type}
                    onChange={(type) =>
                      onChange(rows.map((x, j) => (j === i ? { ...newAction(type), key: x.key } : x)))
                    }
                  />
                </Field>
                {actionFields(r.type)
                  .filter((k) => k !== "body")
                  .map(control)}
                <button
                  type="button"
                  className={`button subtle ${s.dangerOutline}`}
                  onClick={() => onChange(rows.filter((_, j) => j !== i))}
                  disabled={rows.length <= min}
                  aria-label={`Remove action ${n}`}
                >
                  Remove
                </button>
              </div>
              {actionFields(r.type).includes("body") ? control("body") : null}
              <FieldError base={base} path={p} errors={errors} />
            </li>
          );
        })}
      </ol>
      <div>
        <button
          type="button"
          className="button subtle"
          onClick={() => onChange([...rows, newAction(types.includes("set_priority") ? "set_priority" : types[0])])}
          disabled={rows.length >= 20}
        >
          Add an action
        </button>
      </div>
    </fieldset>
  );
}

/** Every path the editor has a control or row for (where API issues can be shown). */
export function knownPaths(all: CondRow[], any: CondRow[], actions: ActRow[], extra: string[]): Set<string> {
  const out = new Set<string>(["name", "conditions", "conditions.all", "conditions.any", "actions", ...extra]);
  for (const [g, rows] of [
    ["all", all],
    ["any", any],
  ] as const) {
    rows.forEach((r, i) => {
      const p = `conditions.${g}.${i}`;
      out.add(p);
      for (const k of ["field", "op"]) out.add(`${p}.${k}`);
      if (opNeedsValue(r.op)) out.add(`${p}.value`);
      if (r.field === "hours_since") out.add(`${p}.anchor`);
      if (r.field === "business_hours") out.add(`${p}.calendarId`);
    });
  }
  actions.forEach((a, i) => {
    out.add(`actions.${i}`);
    out.add(`actions.${i}.type`);
    for (const k of actionFields(a.type)) out.add(`actions.${i}.${k}`);
  });
  return out;
}
