"use client";

import { useEffect, useId, useRef, useState, type KeyboardEvent, type Ref } from "react";

type Props = {
  label: string;
  name: string;
  value: string;
  onChange: (v: string) => void;
  required?: boolean;
  rows?: number;
  hint?: string;
  invalid?: boolean;
  errorId?: string;
  textareaRef?: Ref<HTMLTextAreaElement>;
  onSubmitShortcut?: () => void;
  className?: string;
  placeholder?: string;
};

/**
 * A markdown textarea with Write / Preview tabs. The preview shows the text exactly as typed:
 * rendering markdown in the browser would need a second sanitizer to stay safe, so the formatted
 * version appears once sent (the server renders and sanitizes it).
 */
export function MarkdownField({
  label,
  name,
  value,
  onChange,
  required,
  rows = 6,
  hint,
  invalid,
  errorId,
  textareaRef,
  onSubmitShortcut,
  className,
  placeholder,
}: Props) {
  const id = useId();
  const [tab, setTab] = useState<"write" | "preview">("write");
  const writeTab = useRef<HTMLButtonElement>(null);
  const previewTab = useRef<HTMLButtonElement>(null);
  const hintId = `${id}-hint`;
  const ownRef = useRef<HTMLTextAreaElement | null>(null);

  // Text typed before the page finished loading (hydration) is kept, not silently dropped.
  useEffect(() => {
    const typed = ownRef.current?.value ?? "";
    if (typed && !value) onChange(typed);
    // Only once, on mount.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const setRefs = (el: HTMLTextAreaElement | null) => {
    ownRef.current = el;
    if (typeof textareaRef === "function") textareaRef(el);
    else if (textareaRef) (textareaRef as { current: HTMLTextAreaElement | null }).current = el;
  };

  function onTabKey(e: KeyboardEvent<HTMLButtonElement>) {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight" && e.key !== "Home" && e.key !== "End") return;
    e.preventDefault();
    const next = tab === "write" ? "preview" : "write";
    const target = e.key === "Home" ? "write" : e.key === "End" ? "preview" : next;
    setTab(target);
    (target === "write" ? writeTab : previewTab).current?.focus();
  }

  const describedBy =
    [hint ? hintId : null, invalid && errorId ? errorId : null].filter(Boolean).join(" ") || undefined;

  return (
    <div className={`field markdown-field ${className ?? ""}`}>
      <div className="markdown-head">
        <label htmlFor={`${id}-text`}>{label}</label>
        <div role="tablist" aria-label="Write or preview" className="md-tabs">
          <button
            ref={writeTab}
            type="button"
            role="tab"
            id={`${id}-tab-write`}
            aria-selected={tab === "write"}
            aria-controls={`${id}-panel-write`}
            tabIndex={tab === "write" ? 0 : -1}
            onClick={() => setTab("write")}
            onKeyDown={onTabKey}
          >
            Write
          </button>
          <button
            ref={previewTab}
            type="button"
            role="tab"
            id={`${id}-tab-preview`}
            aria-selected={tab === "preview"}
            aria-controls={`${id}-panel-preview`}
            tabIndex={tab === "preview" ? 0 : -1}
            onClick={() => setTab("preview")}
            onKeyDown={onTabKey}
          >
            Preview
          </button>
        </div>
      </div>
      <div role="tabpanel" id={`${id}-panel-write`} aria-labelledby={`${id}-tab-write`} hidden={tab !== "write"}>
        <textarea
          id={`${id}-text`}
          ref={setRefs}
          name={name}
          value={value}
          rows={rows}
          required={required}
          placeholder={placeholder}
          aria-invalid={invalid || undefined}
          aria-describedby={describedBy}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={(e) => {
            if (onSubmitShortcut && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              onSubmitShortcut();
            }
          }}
        />
      </div>
      <div
        role="tabpanel"
        id={`${id}-panel-preview`}
        aria-labelledby={`${id}-tab-preview`}
        hidden={tab !== "preview"}
        className="md-preview"
        tabIndex={0}
      >
        {value.trim() ? (
          <pre data-testid="markdown-preview">{value}</pre>
        ) : (
          <p className="muted">Nothing to preview yet.</p>
        )}
        <p className="hint">Shown as typed. Markdown (**bold**, lists, links, `code`) is formatted when it is sent.</p>
      </div>
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}
