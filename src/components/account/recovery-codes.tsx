"use client";

import { useEffect, useRef, useState } from "react";
import s from "../admin/admin.module.css";

/** The new recovery codes, shown once, with copy and download; focused when it appears. */
export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [copied, setCopied] = useState("");
  useEffect(() => {
    ref.current?.focus();
  }, []);
  const text = codes.join("\n");
  const download = () => {
    const url = URL.createObjectURL(new Blob([`Beacon recovery codes\n\n${text}\n`], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = "beacon-recovery-codes.txt";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <div
      ref={ref}
      className={s.once}
      role="region"
      aria-labelledby="rc-title"
      tabIndex={-1}
      data-testid="recovery-codes"
    >
      <h3 id="rc-title">Recovery codes — shown only once</h3>
      <p>
        Each code signs you in once if you lose your authenticator. Store them somewhere safe, such as your password
        manager. Beacon cannot show them again.
      </p>
      <ul className={s.codes} aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
      <div className={s.formActions}>
        <button
          type="button"
          className="button"
          onClick={() =>
            void navigator.clipboard.writeText(text).then(
              () => setCopied("Recovery codes copied to the clipboard."),
              () => setCopied("Copying is blocked here: download them instead."),
            )
          }
        >
          Copy
        </button>
        <button type="button" className="button" onClick={download}>
          Download as text
        </button>
        <button type="button" className="button primary" onClick={onDone}>
          I have saved them
        </button>
      </div>
      <p role="status" className={s.status}>
        {copied}
      </p>
    </div>
  );
}
