"use client";

import { useEffect, useId, useRef, useState } from "react";
import { ACCEPTED_TYPES_TEXT, formatBytes, precheckFile } from "@/lib/attachment-display";
import s from "./attachments.module.css";

/** Sent one request each, one after another; more than this is better zipped. */
export const MAX_FILES_PER_MESSAGE = 10;

/**
 * The "Attach files" control of a message form: a native file input (keyboard and screen-reader
 * friendly as it is), the chosen files with their sizes and a remove button each. Files the server
 * would refuse for their size (or emptiness) are turned away here, before anything is sent; the
 * type is judged by the server from the bytes, so only a hint is given about it.
 */
export function AttachmentPicker({
  files,
  onChange,
  maxBytes,
  disabled,
}: {
  files: File[];
  onChange: (files: File[]) => void;
  maxBytes: number;
  disabled?: boolean;
}) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [refused, setRefused] = useState<string[]>([]);
  const [over, setOver] = useState(false);

  // Files pasted anywhere in the same form (a screenshot into the message) are attached too.
  useEffect(() => {
    function onPaste(e: ClipboardEvent) {
      const form = inputRef.current?.form;
      const list = e.clipboardData?.files;
      if (disabled || !form || !(e.target instanceof Node) || !form.contains(e.target) || !list || list.length === 0)
        return;
      e.preventDefault();
      pick(list);
    }
    document.addEventListener("paste", onPaste);
    return () => document.removeEventListener("paste", onPaste);
  });

  function pick(list: FileList | File[] | null) {
    if (!list) return;
    const next = [...files];
    const problems: string[] = [];
    for (const f of Array.from(list)) {
      const why = precheckFile(f, maxBytes);
      if (why) problems.push(`${why} It was not added.`);
      else if (next.length >= MAX_FILES_PER_MESSAGE)
        problems.push(`“${f.name}” was not added: at most ${MAX_FILES_PER_MESSAGE} files per message.`);
      else next.push(f);
    }
    setRefused(problems);
    onChange(next);
    // Lets the same file be chosen again after removing it.
    if (inputRef.current) inputRef.current.value = "";
  }

  function remove(i: number) {
    const f = files[i];
    onChange(files.filter((_, j) => j !== i));
    setRefused([]);
    if (f) inputRef.current?.focus();
  }

  return (
    <div className={s.picker}>
      <div
        className={`field ${s.dropZone}${over ? ` ${s.dropOver}` : ""}`}
        data-testid="drop-zone"
        onDragOver={(e) => {
          if (disabled || !e.dataTransfer.types.includes("Files")) return;
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          setOver(false);
          if (disabled || e.dataTransfer.files.length === 0) return;
          e.preventDefault();
          pick(e.dataTransfer.files);
        }}
      >
        <label htmlFor={`${id}-input`}>Attach files</label>
        <input
          ref={inputRef}
          id={`${id}-input`}
          type="file"
          multiple
          disabled={disabled}
          className={s.fileInput}
          aria-describedby={`${id}-hint${refused.length ? ` ${id}-refused` : ""}`}
          onChange={(e) => pick(e.currentTarget.files)}
          data-testid="attach-input"
        />
        <p id={`${id}-hint`} className="hint">
          Drop files here, paste them into the message, or choose them. Up to {formatBytes(maxBytes)} each:{" "}
          {ACCEPTED_TYPES_TEXT}.
        </p>
      </div>
      <div role="alert" id={`${id}-refused`}>
        {refused.length ? (
          <div className="error">
            <ul className={s.problems}>
              {refused.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
      {files.length ? (
        <ul className={s.chosen} aria-label={`Files to send (${files.length})`} data-testid="chosen-files">
          {files.map((f, i) => (
            <li key={`${f.name}-${f.size}-${f.lastModified}-${i}`}>
              <span className={s.name}>{f.name}</span>
              <span className={s.meta}>{formatBytes(f.size)}</span>
              <button
                type="button"
                className={`button ${s.remove}`}
                onClick={() => remove(i)}
                disabled={disabled}
                aria-label={`Remove ${f.name}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
