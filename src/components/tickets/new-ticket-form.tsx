"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { PRIORITY_KEYS, PRIORITY_LABELS, parseTags } from "@/lib/ticket-labels";
import { useHydrated } from "../use-hydrated";
import { api, describeFailure, type ApiIssue } from "../api-client";
import { AttachmentPicker } from "./attachment-picker";
import { MarkdownField } from "./markdown-field";
import { NotAttachedList, UploadProgress, useUploads, type NotAttached } from "./use-uploads";
import { EnumOptions } from "@/components/enum-options";
import { draftOf, readDraft, type FieldDraft } from "@/lib/custom-fields";
import { CustomFieldInput, type TicketField } from "./custom-field-input";

type Customer = { id: string; name: string; email: string };

const MAX_SUBJECT = 200;

/**
 * Opens a ticket (POST /api/v1/tickets) and goes to it. Customers give a subject and a message;
 * staff also choose the requester, priority and tags. The org's custom fields the person may set
 * (`fields`: staff every one, customers the customer-visible and customer-editable ones) follow,
 * sent as customFields; required-on-create ones must be filled. Files (when the org has attachments on) are
 * uploaded after the ticket exists, tied to its first message; if some are refused the ticket is
 * still open and the form says which files are missing and why, with a link to the ticket.
 */
export function NewTicketForm({
  staff,
  customers,
  upload,
  fields = [],
}: {
  staff: boolean;
  customers: Customer[];
  upload: { maxBytes: number } | null;
  fields?: TicketField[];
}) {
  const router = useRouter();
  const hydrated = useHydrated();
  const uploads = useUploads(upload?.maxBytes ?? 0);
  const [files, setFiles] = useState<File[]>([]);
  const [created, setCreated] = useState<{ id: string; number: number; failed: NotAttached[] } | null>(null);
  const createdRef = useRef<HTMLDivElement>(null);
  const [body, setBody] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [custom, setCustom] = useState<Record<string, FieldDraft>>(() =>
    Object.fromEntries(fields.map((f) => [f.key, draftOf(f, undefined)])),
  );
  const subjectRef = useRef<HTMLInputElement>(null);
  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const requesterRef = useRef<HTMLInputElement>(null);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending) return;
    const form = new FormData(e.currentTarget);
    const subject = String(form.get("subject") ?? "").trim();
    const errors: Record<string, string> = {};
    if (!subject) errors.subject = "Enter a subject.";
    if (!body.trim()) errors.body = "Describe what you need.";
    const payload: Record<string, unknown> = { subject, body };
    if (staff) {
      const email = String(form.get("requester") ?? "")
        .trim()
        .toLowerCase();
      if (email) {
        const match = customers.find((c) => c.email.toLowerCase() === email);
        if (match) payload.requesterId = match.id;
        else errors.requesterId = "No customer of this organization has that email.";
      }
      payload.priority = String(form.get("priority") ?? "normal");
      const tags = parseTags(String(form.get("tags") ?? ""));
      if (tags.length) payload.tags = tags;
    }
    const customFields: Record<string, unknown> = {};
    for (const f of fields) {
      const r = readDraft(f, custom[f.key] ?? draftOf(f, undefined));
      if ("error" in r) errors[`customFields.${f.key}`] = r.error;
      else if (r.value !== null) customFields[f.key] = r.value;
      else if (f.requiredOnCreate) errors[`customFields.${f.key}`] = `${f.label} is required.`;
    }
    if (Object.keys(customFields).length) payload.customFields = customFields;
    setFieldErrors(errors);
    if (Object.keys(errors).length) {
      setError("Check the highlighted fields.");
      focusFirstError(errors);
      return;
    }
    setPending(true);
    setError(null);
    const r = await api<{ id: string; number: number }>("POST", "/api/v1/tickets", payload);
    if (!r.ok) {
      setPending(false);
      // A custom field's issue is kept under customFields.<key>, so it shows under that input.
      const errs = Object.fromEntries(
        r.error.issues.map((i: ApiIssue) => [
          i.path
            .split(".")
            .slice(0, i.path.startsWith("customFields.") ? 2 : 1)
            .join("."),
          i.message,
        ]),
      );
      setFieldErrors(errs);
      focusFirstError(errs);
      setError(describeFailure(r.error));
      return;
    }
    const ticket = r.data;
    if (upload && files.length) {
      // The ticket's first message is the one just written, by this user: the files belong to it.
      const first = await api<{ data: { id: string }[] }>("GET", `/api/v1/tickets/${ticket.id}/comments?limit=1`);
      const commentId = first.ok ? first.data.data[0]?.id : undefined;
      const failed = commentId
        ? await uploads.uploadAll(ticket.id, commentId, files)
        : files.map((file) => ({
            file,
            message: `“${file.name}” was not attached: the new ticket could not be read back. Attach it from the ticket page.`,
            retryable: false,
          }));
      uploads.done();
      if (failed.length) {
        setPending(false);
        setCreated({ id: ticket.id, number: ticket.number, failed });
        return;
      }
    }
    router.push(`/tickets/${ticket.id}`);
  }

  function focusFirstError(errors: Record<string, string>) {
    if (errors.subject) return subjectRef.current?.focus();
    if (errors.body) return bodyRef.current?.focus();
    if (errors.requesterId) return requesterRef.current?.focus();
    const first = fields.find((f) => errors[`customFields.${f.key}`]);
    if (first) {
      const el =
        document.getElementById(`nt-cf-${first.key}`) ??
        document.querySelector<HTMLInputElement>(`[data-testid="cf-input-${first.key}"] input`);
      el?.focus();
    }
  }

  useEffect(() => {
    if (created) createdRef.current?.focus();
  }, [created]);

  if (created) {
    return (
      <div ref={createdRef} tabIndex={-1} className="stack" data-testid="created-with-problems">
        <div role="alert">
          <NotAttachedList
            intro={`${staff ? "Ticket" : "Your request"} #${created.number} was created, but ${created.failed.length === 1 ? "this file was" : `these ${created.failed.length} files were`} not attached:`}
            items={created.failed}
          />
        </div>
        <p>
          <Link href={`/tickets/${created.id}`} className="button primary">
            Open {staff ? "ticket" : "request"} #{created.number}
          </Link>
        </p>
        <p className="hint">You can attach files there, in the reply box.</p>
      </div>
    );
  }

  const invalid = (k: string) => (fieldErrors[k] ? true : undefined);
  return (
    <form className="stack" onSubmit={onSubmit} noValidate data-testid="new-ticket-form">
      {staff ? (
        <div className="field">
          <label htmlFor="nt-requester">Requester email</label>
          <input
            id="nt-requester"
            ref={requesterRef}
            name="requester"
            type="email"
            list="nt-customers"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            aria-invalid={invalid("requesterId")}
            aria-describedby="nt-requester-hint nt-requester-error"
          />
          <datalist id="nt-customers">
            {customers.map((c) => (
              <option key={c.id} value={c.email}>
                {c.name}
              </option>
            ))}
          </datalist>
          <p id="nt-requester-hint" className="hint">
            A customer of this organization. Leave empty to be the requester yourself.
          </p>
          <p id="nt-requester-error" className="field-error">
            {fieldErrors.requesterId ?? ""}
          </p>
        </div>
      ) : null}
      <div className="field">
        <label htmlFor="nt-subject">Subject</label>
        <input
          id="nt-subject"
          ref={subjectRef}
          name="subject"
          type="text"
          maxLength={MAX_SUBJECT}
          required
          aria-invalid={invalid("subject")}
          aria-describedby="nt-subject-error"
          autoFocus={!staff}
        />
        <p id="nt-subject-error" className="field-error">
          {fieldErrors.subject ?? ""}
        </p>
      </div>
      <div>
        <MarkdownField
          label={staff ? "First message" : "How can we help?"}
          name="body"
          value={body}
          onChange={setBody}
          rows={8}
          required
          textareaRef={bodyRef}
          invalid={invalid("body")}
          errorId="nt-body-error"
          hint="Markdown is supported: **bold**, lists, links and `code`."
        />
        <p id="nt-body-error" className="field-error">
          {fieldErrors.body ?? ""}
        </p>
      </div>
      {upload ? (
        <AttachmentPicker files={files} onChange={setFiles} maxBytes={upload.maxBytes} disabled={pending} />
      ) : null}
      <UploadProgress progress={uploads.progress} />
      {staff ? (
        <div className="form-row">
          <div className="field">
            <label htmlFor="nt-priority">Priority</label>
            <select id="nt-priority" name="priority" defaultValue="normal" aria-invalid={invalid("priority")}>
              <EnumOptions keys={PRIORITY_KEYS} labels={PRIORITY_LABELS} />
            </select>
          </div>
          <div className="field">
            <label htmlFor="nt-tags">Tags</label>
            <input
              id="nt-tags"
              name="tags"
              type="text"
              autoCapitalize="none"
              spellCheck={false}
              aria-describedby="nt-tags-hint"
              aria-invalid={invalid("tags")}
            />
            <p id="nt-tags-hint" className="hint">
              Comma-separated, optional.
            </p>
          </div>
        </div>
      ) : null}
      {fields.length ? (
        <fieldset className="cf-fields" data-testid="new-ticket-fields">
          <legend className="visually-hidden">{staff ? "Ticket fields" : "Details"}</legend>
          {fields.map((f) => (
            <CustomFieldInput
              key={f.id}
              field={f}
              idPrefix="nt-cf"
              value={custom[f.key] ?? draftOf(f, undefined)}
              onChange={(v) => setCustom((c) => ({ ...c, [f.key]: v }))}
              required={f.requiredOnCreate}
              error={fieldErrors[`customFields.${f.key}`]}
              disabled={pending}
            />
          ))}
        </fieldset>
      ) : null}
      <div role="alert">{error ? <p className="error">{error}</p> : null}</div>
      <button type="submit" className="button primary" disabled={!hydrated || pending} aria-busy={pending}>
        {pending ? (uploads.uploading ? "Uploading…" : "Submitting…") : staff ? "Create ticket" : "Submit request"}
      </button>
    </form>
  );
}
