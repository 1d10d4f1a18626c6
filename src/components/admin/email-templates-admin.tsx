"use client";

import { useId, type FormEvent } from "react";
import { api } from "../api-client";
import { ActionFeedback, useApiAction } from "../use-api-action";
import s from "./admin.module.css";
import { Field } from "../field";

// The customer-facing email templates on /admin/email (issue 12 item 6, decision 040), through
// PUT/DELETE /api/v1/email/templates/{kind}.

export type EmailTemplateData = {
  kind: "acknowledgement" | "solved" | "merged";
  enabled: boolean;
  subject: string;
  body: string;
  isDefault: boolean;
  updatedAt: string | null;
};

const TITLES: Record<EmailTemplateData["kind"], { title: string; when: string }> = {
  acknowledgement: { title: "Acknowledgement", when: "Sent to the customer when their email opens a new ticket." },
  solved: {
    title: "Ticket solved",
    when: "Sent to the customer when a ticket that came in by email is solved, with one-click rating links.",
  },
  merged: {
    title: "Tickets merged",
    when: "Sent to both requesters when an agent merges a duplicate into another ticket and asks to tell them.",
  },
};

export function EmailTemplateForm({
  template,
  placeholders,
}: {
  template: EmailTemplateData;
  placeholders: readonly string[];
}) {
  const id = useId();
  const { run, busy, status, failure } = useApiAction();
  const t = TITLES[template.kind];

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const body = {
      enabled: f.get("enabled") === "on",
      subject: String(f.get("subject") ?? ""),
      body: String(f.get("body") ?? ""),
    };
    await run(
      () => api<EmailTemplateData>("PUT", `/api/v1/email/templates/${template.kind}`, body),
      () => `${t.title} email saved.`,
    );
  }
  async function reset() {
    await run(
      () => api<EmailTemplateData>("DELETE", `/api/v1/email/templates/${template.kind}`),
      () => `${t.title} email is back to the default text.`,
    );
  }

  const subjectErr = failure?.issues.find((i) => i.path === "subject")?.message;
  const bodyErr = failure?.issues.find((i) => i.path === "body")?.message;
  return (
    <div data-testid={`template-${template.kind}`}>
      <h3 id={`${id}-title`}>{t.title}</h3>
      <p className="muted small">
        {t.when} {template.isDefault ? "This is the default text." : null}
      </p>
      {/* Remounted after a save or a reset, so the fields show what is stored. */}
      <form
        key={`${template.updatedAt ?? "default"}-${template.enabled}`}
        onSubmit={submit}
        noValidate
        className={s.formGrid}
        aria-labelledby={`${id}-title`}
      >
        <label className={s.check}>
          <input type="checkbox" name="enabled" defaultChecked={template.enabled} />
          Send this email
        </label>
        <Field
          id={`${id}-subject`}
          label="Subject"
          error={subjectErr && `Subject: ${subjectErr}.`}
          hint="The ticket number, like [#42], is added when it is missing, so replies find the ticket."
          hintClassName="muted small"
        >
          {(aria) => (
            <input
              {...aria}
              name="subject"
              type="text"
              maxLength={200}
              defaultValue={template.subject}
              spellCheck={false}
            />
          )}
        </Field>
        <Field
          id={`${id}-body`}
          label="Message"
          error={bodyErr && `Message: ${bodyErr}.`}
          hint={
            <>
              Markdown. Placeholders:{" "}
              {placeholders.map((p, i) => (
                <span key={p}>
                  {i ? ", " : ""}
                  <code>{`{{${p}}}`}</code>
                </span>
              ))}
              .
            </>
          }
          hintClassName="muted small"
        >
          {(aria) => <textarea {...aria} name="body" rows={8} defaultValue={template.body} />}
        </Field>
        <div className={s.formActions}>
          <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
            {busy ? "Saving…" : `Save ${t.title.toLowerCase()} email`}
          </button>
          {template.isDefault ? null : (
            <button type="button" className="button subtle" disabled={busy} onClick={() => void reset()}>
              Use the default text
            </button>
          )}
        </div>
      </form>
      <ActionFeedback status={status} failure={failure} />
    </div>
  );
}
