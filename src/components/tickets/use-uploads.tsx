"use client";

import { useState } from "react";
import { describeUploadFailure, formatBytes, retryable } from "@/lib/attachment-display";
import s from "./attachments.module.css";
import { uploadAttachment } from "./upload-attachment";

type Progress = {
  key: string;
  name: string;
  size: number;
  loaded: number;
  state: "waiting" | "sending" | "done" | "failed";
};
/** A file the server did not take, with why (in words) and whether sending it again could help. */
export type NotAttached = { file: File; message: string; retryable: boolean };

/**
 * Uploads a message's files, tied to that message, and tracks their progress for <UploadProgress>.
 * One after another: one progress bar moves at a time, and a slow link is not split between files.
 */
export function useUploads(maxBytes: number) {
  const [progress, setProgress] = useState<Progress[]>([]);

  async function uploadAll(ticketId: string, commentId: string, files: File[]): Promise<NotAttached[]> {
    setProgress(
      files.map((f, i) => ({ key: `${i}-${f.name}`, name: f.name, size: f.size, loaded: 0, state: "waiting" })),
    );
    const update = (i: number, patch: Partial<Progress>) =>
      setProgress((p) => p.map((r, j) => (j === i ? { ...r, ...patch } : r)));
    const failed: NotAttached[] = [];
    for (const [i, file] of files.entries()) {
      update(i, { state: "sending" });
      const r = await uploadAttachment(ticketId, commentId, file, (loaded) => update(i, { loaded }));
      if (r.ok) {
        update(i, { state: "done", loaded: file.size });
      } else {
        update(i, { state: "failed" });
        failed.push({
          file,
          message: describeUploadFailure(file.name, r.failure, maxBytes),
          retryable: retryable(r.failure),
        });
      }
    }
    return failed;
  }

  return { progress, uploading: progress.length > 0, uploadAll, done: () => setProgress([]) };
}

export function UploadProgress({ progress }: { progress: Progress[] }) {
  if (!progress.length) return null;
  return (
    <ul className={s.progressList} aria-label="Uploading files" data-testid="upload-progress">
      {progress.map((p) => (
        <li key={p.key}>
          <span className={s.name}>{p.name}</span>
          <progress value={p.loaded} max={p.size || 1} aria-label={`Uploading ${p.name}`} />
          <span className={s.meta}>
            {p.state === "waiting"
              ? "Waiting"
              : p.state === "done"
                ? "Attached"
                : p.state === "failed"
                  ? "Not attached"
                  : `${Math.floor((100 * p.loaded) / (p.size || 1))}% of ${formatBytes(p.size)}`}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** The files a sent message went without, each with its reason. */
export function NotAttachedList({ intro, items }: { intro: string; items: NotAttached[] }) {
  return (
    <div className="error" data-testid="unattached">
      <p>{intro}</p>
      <ul>
        {items.map((i, n) => (
          <li key={`${n}-${i.file.name}`}>{i.message}</li>
        ))}
      </ul>
    </div>
  );
}
