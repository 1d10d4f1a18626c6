"use client";

import { useId, useRef, useState } from "react";
import s from "./admin.module.css";

type Format = "csv" | "ndjson";
type Progress = { format: Format; bytes: number; lines: number; startedAt: number };

const nf = new Intl.NumberFormat();
function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The server's file name from Content-Disposition, else a dated default. */
function fileName(res: Response, format: Format): string {
  const cd = res.headers.get("content-disposition") ?? "";
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (star?.[1]) return decodeURIComponent(star[1]);
  const plain = /filename="([^"]+)"/i.exec(cd);
  return plain?.[1] ?? `tickets-${new Date().toISOString().slice(0, 10)}.${format}`;
}

async function failureText(res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (res.status === 503 && body?.error?.code === "feature_disabled")
    return "Export is switched off right now. Reload the page to see the current settings.";
  if (res.status === 429) {
    const wait = Number(res.headers.get("retry-after"));
    return `Too many exports in a short time. Try again in ${Number.isFinite(wait) && wait > 0 ? `${wait} second${wait === 1 ? "" : "s"}` : "a minute"}.`;
  }
  if (res.status === 401) return "Your session has ended. Sign in again to export.";
  const msg = body?.error?.message ?? `The export failed (${res.status}).`;
  return `${msg.charAt(0).toUpperCase()}${msg.slice(1)}${msg.endsWith(".") ? "" : "."}`;
}

/**
 * Streams GET /api/v1/export/tickets with fetch and a ReadableStream reader, counting bytes and
 * lines as they arrive, then saves the whole file through a Blob URL. Cancel aborts the request,
 * which stops the server's query too.
 */
export function ExportPanel() {
  const id = useId();
  const [since, setSince] = useState("");
  const [progress, setProgress] = useState<Progress | null>(null);
  const [announce, setAnnounce] = useState("");
  const [error, setError] = useState<string | null>(null);
  const abortRef = useRef<AbortController | null>(null);

  async function run(format: Format) {
    if (abortRef.current) return;
    setError(null);
    let updatedSince: string | undefined;
    if (since) {
      const d = new Date(since);
      if (Number.isNaN(d.getTime())) {
        setError("Enter a valid date and time, or leave it empty to export everything.");
        return;
      }
      updatedSince = d.toISOString();
    }
    const ctrl = new AbortController();
    abortRef.current = ctrl;
    const startedAt = Date.now();
    setProgress({ format, bytes: 0, lines: 0, startedAt });
    setAnnounce(`${format.toUpperCase()} export started.`);
    const qs = new URLSearchParams({ format, ...(updatedSince ? { updatedSince } : {}) });
    try {
      const res = await fetch(`/api/v1/export/tickets?${qs.toString()}`, {
        signal: ctrl.signal,
        credentials: "same-origin",
        cache: "no-store",
      });
      if (!res.ok || !res.body) {
        setProgress(null);
        setAnnounce("");
        setError(await failureText(res));
        return;
      }
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let bytes = 0;
      let lines = 0;
      let shown = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        bytes += value.byteLength;
        for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
        // Re-render at most ~10 times a second however small the chunks are.
        if (Date.now() - shown > 100) {
          shown = Date.now();
          setProgress({ format, bytes, lines, startedAt });
        }
      }
      setProgress({ format, bytes, lines, startedAt });
      const name = fileName(res, format);
      const blob = new Blob(chunks as BlobPart[], {
        type: res.headers.get("content-type") ?? "application/octet-stream",
      });
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      const records = format === "csv" ? Math.max(0, lines - 1) : lines;
      setAnnounce(
        `Export finished: ${nf.format(records)} ${format === "csv" ? "rows" : "tickets"}, ${size(bytes)}, saved as ${name}.`,
      );
    } catch (err) {
      setProgress(null);
      if ((err as Error).name === "AbortError") setAnnounce("Export cancelled.");
      else {
        setAnnounce("");
        setError("The download was interrupted. Check your connection and try again.");
      }
    } finally {
      abortRef.current = null;
      setProgress((p) => (p ? { ...p, startedAt: -1 } : p));
    }
  }

  const running = progress !== null && progress.startedAt !== -1;
  return (
    <div className={s.section}>
      <div className={s.inlineFields}>
        <div className={`field ${s.narrowField}`}>
          <label htmlFor={`${id}-since`}>Changed since (optional)</label>
          <input
            id={`${id}-since`}
            type="datetime-local"
            value={since}
            onChange={(e) => setSince(e.target.value)}
            aria-describedby={`${id}-since-hint`}
            disabled={running}
          />
        </div>
      </div>
      <p id={`${id}-since-hint`} className="hint">
        In your local time. Leave empty to export every ticket.
      </p>
      <div className={s.formActions}>
        <button
          type="button"
          className="button primary"
          onClick={() => void run("csv")}
          disabled={running}
          aria-busy={running && progress?.format === "csv"}
        >
          Download CSV
        </button>
        <button
          type="button"
          className="button"
          onClick={() => void run("ndjson")}
          disabled={running}
          aria-busy={running && progress?.format === "ndjson"}
        >
          Download NDJSON
        </button>
        {running ? (
          <button type="button" className={`button ${s.dangerOutline}`} onClick={() => abortRef.current?.abort()}>
            Cancel
          </button>
        ) : null}
      </div>
      {progress ? (
        <div className={s.progress} data-testid="export-progress">
          <label htmlFor={`${id}-progress`} className="visually-hidden">
            Export progress
          </label>
          {running ? <progress id={`${id}-progress`} /> : <progress id={`${id}-progress`} value={1} max={1} />}
          <p className={s.progressText}>
            {running ? "Receiving… " : "Done: "}
            {nf.format(progress.lines)} lines · {size(progress.bytes)}
          </p>
        </div>
      ) : null}
      <p role="status" className={s.status} data-testid="export-status">
        {announce}
      </p>
      <div role="alert" className={s.alert}>
        {error ? <p className="error">{error}</p> : null}
      </div>
    </div>
  );
}
