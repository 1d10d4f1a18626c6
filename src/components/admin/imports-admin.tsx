"use client";

import { useCallback, useEffect, useId, useRef, useState } from "react";
import type { components } from "@/lib/api-types";
import { api, describeFailure } from "../api-client";
import { ConfirmDialog } from "./confirm-dialog";
import { LocalTime } from "../local-time";
import s from "./admin.module.css";
import { ImportReportView } from "./import-report";

export type ImportData = components["schemas"]["Import"];

const SOURCE_TEXT: Record<string, string> = {
  zendesk: "Zendesk",
  freshdesk: "Freshdesk",
  csv: "CSV (spreadsheet)",
  beacon: "Beacon export",
};
/** What each source's import takes (the server checks the same: start-import.ts). */
const FILE_TEXT: Record<string, { accept: string; hint: string }> = {
  zendesk: { accept: ".zip,.json,.ndjson,.jsonl", hint: "A .zip of the export folder, or one .json or .ndjson file." },
  freshdesk: {
    accept: ".zip,.json,.ndjson,.jsonl",
    hint: "A .zip of the export folder, or one .json or .ndjson file.",
  },
  csv: { accept: ".csv", hint: "One .csv file, one ticket (or one message) per row." },
  beacon: { accept: ".tar", hint: "The .tar archive of a Beacon full export (GET /api/v1/export/full)." },
};
const STATE_TEXT: Record<ImportData["state"], { label: string; badge: string }> = {
  queued: { label: "Waiting to start", badge: s.badgeInfo! },
  running: { label: "Importing", badge: s.badgeWarn! },
  done: { label: "Done", badge: s.badgeOk! },
  failed: { label: "Failed", badge: s.badgeDanger! },
  cancelled: { label: "Cancelled", badge: s.badgeInfo! },
};
const POLL_MS = 2000;
const nf = new Intl.NumberFormat();

function size(bytes: number | null): string {
  if (bytes === null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

const active = (i: ImportData) => i.state === "queued" || i.state === "running";
/** The server's rules (manage-import.ts): a done or cancelled import cannot be cancelled; a queued or running one cannot be deleted. */
const cancellable = (i: ImportData) => i.state !== "done" && i.state !== "cancelled" && !i.cancelRequestedAt;
const deletable = (i: ImportData) => !active(i);
const FINISHED_TEXT: Partial<Record<ImportData["state"], string>> = {
  done: "is done",
  failed: "failed",
  cancelled: "was cancelled",
};

type Pending = { action: "cancel" | "delete"; row: ImportData };

type Sent = { ok: true; data: ImportData } | { ok: false; message: string };

type Answer = { id?: string; error?: { message?: string } };
function parseAnswer(text: string): Answer | null {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null ? (v as Answer) : null;
  } catch {
    return null;
  }
}

/** POST /api/v1/imports with XMLHttpRequest (only it reports upload progress), with an Idempotency-Key so a retry never starts a second import. */
function send(form: FormData, key: string, onProgress: (loaded: number, total: number) => void): Promise<Sent> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/imports");
    xhr.setRequestHeader("accept", "application/json");
    xhr.setRequestHeader("idempotency-key", key);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    };
    xhr.onload = () => {
      const body = parseAnswer(xhr.responseText);
      if (xhr.status === 202 && body?.id) resolve({ ok: true, data: body as ImportData });
      else if (xhr.status === 413) resolve({ ok: false, message: body?.error?.message ?? "The file is too large." });
      else resolve({ ok: false, message: body?.error?.message ?? `The upload failed (${xhr.status}).` });
    };
    xhr.onerror = () =>
      resolve({ ok: false, message: "The upload was interrupted. Check your connection and try again." });
    xhr.onabort = xhr.onerror;
    xhr.send(form);
  });
}

/**
 * Admin → Import: the upload form, the org's imports with their progress (polled while any is
 * queued or running), and the check report of the one opened.
 */
export function ImportsAdmin({ initial, sources, now }: { initial: ImportData[]; sources: string[]; now: number }) {
  const id = useId();
  const [rows, setRows] = useState(initial);
  const [source, setSource] = useState(sources[0] ?? "");
  const [options, setOptions] = useState("");
  const [uploading, setUploading] = useState<{ loaded: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [announce, setAnnounce] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [acting, setActing] = useState(false);
  const fileRef = useRef<HTMLInputElement>(null);
  const formRef = useRef<HTMLFormElement>(null);

  const rowsRef = useRef(rows);
  useEffect(() => {
    rowsRef.current = rows;
  }, [rows]);
  const refresh = useCallback(async () => {
    const r = await api<{ data: ImportData[] }>("GET", "/api/v1/imports?limit=50");
    if (!r.ok) return;
    for (const fresh of r.data.data) {
      const was = rowsRef.current.find((b) => b.id === fresh.id);
      if (was && active(was) && !active(fresh))
        setAnnounce(`Import of ${fresh.source} ${FINISHED_TEXT[fresh.state] ?? fresh.state}.`);
    }
    setRows(r.data.data);
  }, []);

  const polling = rows.some(active);
  useEffect(() => {
    if (!polling) return;
    const t = setInterval(() => void refresh(), POLL_MS);
    return () => clearInterval(t);
  }, [polling, refresh]);

  async function act({ action, row }: Pending) {
    setActing(true);
    setError(null);
    const r =
      action === "cancel"
        ? await api<ImportData>("POST", `/api/v1/imports/${row.id}/cancel`)
        : await api<void>("DELETE", `/api/v1/imports/${row.id}`);
    setActing(false);
    setPending(null);
    if (!r.ok) {
      setError(describeFailure(r.error));
      await refresh();
      return;
    }
    if (action === "cancel") {
      const data = r.data as ImportData;
      setRows((before) => before.map((b) => (b.id === data.id ? data : b)));
      setAnnounce(
        data.state === "cancelled"
          ? `Import of ${row.source} was cancelled.`
          : `Import of ${row.source} is stopping after its current batch.`,
      );
    } else {
      setRows((before) => before.filter((b) => b.id !== row.id));
      if (open === row.id) setOpen(null);
      setAnnounce(`Import of ${row.source} deleted.`);
    }
  }

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setError(null);
    const file = fileRef.current?.files?.[0];
    if (!file) {
      setError("Choose the export file to upload.");
      return;
    }
    const form = new FormData();
    form.append("source", source);
    if (options.trim()) form.append("options", options.trim());
    form.append("file", file, file.name);
    setUploading({ loaded: 0, total: file.size });
    setAnnounce(`Uploading ${file.name}…`);
    const r = await send(form, crypto.randomUUID(), (loaded, total) => setUploading({ loaded, total }));
    setUploading(null);
    if (!r.ok) {
      setAnnounce("");
      setError(r.message.charAt(0).toUpperCase() + r.message.slice(1));
      return;
    }
    setRows((before) => [r.data, ...before.filter((b) => b.id !== r.data.id)]);
    setAnnounce(`${file.name} uploaded; the import has started.`);
    formRef.current?.reset();
    setOptions("");
  }

  return (
    <>
      <section className="card" aria-labelledby={`${id}-upload`}>
        <form ref={formRef} className={s.section} onSubmit={(e) => void submit(e)} noValidate>
          <h2 id={`${id}-upload`}>Upload an export</h2>
          <div className={s.inlineFields}>
            <div className="field">
              <label htmlFor={`${id}-source`}>Exported from</label>
              <select
                id={`${id}-source`}
                value={source}
                onChange={(e) => setSource(e.target.value)}
                disabled={uploading !== null}
              >
                {sources.map((k) => (
                  <option key={k} value={k}>
                    {SOURCE_TEXT[k] ?? k}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${id}-file`}>Export file</label>
              <input
                id={`${id}-file`}
                ref={fileRef}
                type="file"
                name="file"
                accept={FILE_TEXT[source]?.accept}
                aria-describedby={`${id}-file-hint`}
                disabled={uploading !== null}
              />
            </div>
          </div>
          <p id={`${id}-file-hint`} className="hint">
            {FILE_TEXT[source]?.hint ?? "The export file."}
          </p>
          {source === "csv" ? (
            <div className="field">
              <label htmlFor={`${id}-options`}>Column mapping (JSON)</label>
              <textarea
                id={`${id}-options`}
                rows={4}
                value={options}
                onChange={(e) => setOptions(e.target.value)}
                aria-describedby={`${id}-options-hint`}
                className={s.mono}
                disabled={uploading !== null}
              />
              <p id={`${id}-options-hint`} className="hint">
                Which column holds what, as a JSON object, for example{" "}
                <code>{'{"columns": {"subject": "Title", "requester_email": "Email"}}'}</code>. It is checked against
                the file&apos;s header when you upload.
              </p>
            </div>
          ) : null}
          <div className={s.formActions}>
            <button
              type="submit"
              className="button primary"
              disabled={uploading !== null}
              aria-busy={uploading !== null}
            >
              Upload and import
            </button>
          </div>
          {uploading ? (
            <div className={s.progress}>
              <label htmlFor={`${id}-upload-progress`}>Uploading</label>
              <progress id={`${id}-upload-progress`} value={uploading.loaded} max={uploading.total || 1} />
              <p className={s.progressText}>
                {size(uploading.loaded)} of {size(uploading.total)}
              </p>
            </div>
          ) : null}
          <p role="status" className={s.status} data-testid="import-status">
            {announce}
          </p>
          <div role="alert" className={s.alert}>
            {error ? <p className="error">{error}</p> : null}
          </div>
        </form>
      </section>

      <section className={s.section} aria-labelledby={`${id}-list`}>
        <h2 id={`${id}-list`}>Imports</h2>
        {rows.length === 0 ? (
          <p className="muted">No imports yet.</p>
        ) : (
          <div className={s.tableWrap}>
            <table className={s.table} data-testid="imports">
              <thead>
                <tr>
                  <th scope="col">Export</th>
                  <th scope="col">State</th>
                  <th scope="col">Progress</th>
                  <th scope="col">Started</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} data-testid="import-row" data-state={r.state}>
                    <td>
                      <strong>{r.source}</strong>
                      <br />
                      <span className="muted">
                        {SOURCE_TEXT[r.sourceKind] ?? r.sourceKind}
                        {r.inputBytes !== null ? ` · ${size(r.inputBytes)}` : ""}
                      </span>
                    </td>
                    <td>
                      <span className={`${s.badge} ${STATE_TEXT[r.state].badge}`}>{STATE_TEXT[r.state].label}</span>
                      {r.state === "running" && r.cancelRequestedAt ? (
                        <p className="muted">Stopping after the current batch…</p>
                      ) : null}
                      {r.error ? <p className="error">{r.error}</p> : null}
                    </td>
                    <td>
                      <div className={s.progress}>
                        {active(r) ? (
                          <progress aria-label={`Progress of ${r.source}`} />
                        ) : (
                          <progress aria-label={`Progress of ${r.source}`} value={r.state === "done" ? 1 : 0} max={1} />
                        )}
                        <p className={s.progressText} data-testid="import-progress">
                          {nf.format(r.progress.records)} records read · {nf.format(r.progress.imported)} imported ·{" "}
                          {nf.format(r.progress.skipped)} skipped
                        </p>
                      </div>
                    </td>
                    <td className={s.nowrap}>
                      <LocalTime iso={r.createdAt} relativeTo={now} />
                    </td>
                    <td>
                      <button
                        type="button"
                        className="button"
                        aria-expanded={open === r.id}
                        aria-controls={`${id}-report`}
                        onClick={() => setOpen(open === r.id ? null : r.id)}
                      >
                        {open === r.id ? "Hide report" : "Report"}
                      </button>{" "}
                      {cancellable(r) ? (
                        <button
                          type="button"
                          className="button"
                          aria-label={`Cancel import of ${r.source}`}
                          onClick={() => setPending({ action: "cancel", row: r })}
                        >
                          Cancel import
                        </button>
                      ) : null}
                      {deletable(r) ? (
                        <button
                          type="button"
                          className="button"
                          aria-label={`Delete import of ${r.source}`}
                          onClick={() => setPending({ action: "delete", row: r })}
                        >
                          Delete
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {pending ? (
        <ConfirmDialog
          open
          title={
            pending.action === "cancel"
              ? `Cancel the import of ${pending.row.source}?`
              : `Delete the import of ${pending.row.source}?`
          }
          confirmLabel={pending.action === "cancel" ? "Cancel import" : "Delete import"}
          danger
          busy={acting}
          onConfirm={() => void act(pending)}
          onCancel={() => setPending(null)}
        >
          {pending.action === "cancel" ? (
            <p>
              The import stops after the batch it is writing. What it has imported so far stays; the uploaded file is
              removed, so it cannot be resumed.
            </p>
          ) : (
            <p>
              The import&apos;s record, its report and its uploaded file are deleted. The tickets, people and companies
              it imported stay.
            </p>
          )}
        </ConfirmDialog>
      ) : null}
      <div id={`${id}-report`}>
        {open ? <ImportReportView importId={open} state={rows.find((r) => r.id === open)?.state} /> : null}
      </div>
    </>
  );
}
