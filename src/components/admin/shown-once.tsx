"use client";

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import s from "./admin.module.css";

type Props = {
  title: string;
  /** What the value is, for the copy button and the field's label. */
  label: string;
  value: string;
  children?: ReactNode;
  onDone?: () => void;
  doneLabel?: string;
};

/**
 * A secret the server returns once (webhook secret, API token, recovery codes): a warning, the
 * value in a selectable box, a copy button with a spoken confirmation, and a way to dismiss it.
 * It takes focus when it appears so a screen reader lands on it.
 */
export function ShownOnce({ title, label, value, children, onDone, doneLabel = "I have saved it" }: Props) {
  const headingId = useId();
  const valueId = useId();
  const ref = useRef<HTMLDivElement>(null);
  const [copied, setCopied] = useState("");

  useEffect(() => {
    ref.current?.focus();
  }, []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(`${label} copied to the clipboard.`);
    } catch {
      // Clipboard access can be refused (permissions, insecure origin): select it for a manual copy.
      const range = document.createRange();
      const el = document.getElementById(valueId);
      if (el) {
        range.selectNodeContents(el);
        window.getSelection()?.removeAllRanges();
        window.getSelection()?.addRange(range);
      }
      setCopied("Copying is blocked here: the value is selected, press Ctrl+C (or ⌘C) to copy it.");
    }
  }

  return (
    <div ref={ref} className={s.once} role="region" aria-labelledby={headingId} tabIndex={-1} data-testid="shown-once">
      <h3 id={headingId}>{title}</h3>
      {children}
      <div className={s.secretRow}>
        <code id={valueId} className={s.secret} aria-label={label} data-testid="secret-value">
          {value}
        </code>
        <button type="button" className="button" onClick={copy}>
          Copy
        </button>
      </div>
      <p role="status" className={s.status}>
        {copied}
      </p>
      {onDone ? (
        <div className={s.formActions}>
          <button type="button" className="button subtle" onClick={onDone}>
            {doneLabel}
          </button>
        </div>
      ) : null}
    </div>
  );
}
