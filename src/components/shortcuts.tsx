"use client";

import { useRouter } from "next/navigation";
import { useEffect, useId, useRef } from "react";

export const typingIn = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

type Shortcut = {
  keys: string[];
  label: string;
  staff?: boolean;
  /** what it acts on: focused (fields) or clicked (buttons, radios) */ target?: string;
  click?: boolean;
};

/**
 * Every keyboard shortcut, as the `?` overlay lists them (issue 14 item 8, UI review 7). Those with
 * a `target` are run here; j/k and Shift+X (list-keys.tsx), [ ] x (workspace-tabs.tsx), d (density) and
 * Ctrl+Enter (the reply field) by their own components.
 */
export const SHORTCUTS: { group: string; items: Shortcut[] }[] = [
  {
    group: "Everywhere",
    items: [
      { keys: ["?"], label: "Show this list" },
      { keys: ["/"], label: "Search tickets" },
      { keys: ["c"], label: "New ticket", target: "a.new-ticket, a[href='/tickets/new']", click: true },
      { keys: ["u"], label: "Back to the list", target: "a[data-shortcut-home]", click: true },
      { keys: ["["], label: "Previous open ticket tab", staff: true },
      { keys: ["]"], label: "Next open ticket tab", staff: true },
      { keys: ["x"], label: "Close this ticket's tab", staff: true },
    ],
  },
  {
    group: "Ticket list",
    items: [
      { keys: ["j"], label: "Next ticket" },
      { keys: ["k"], label: "Previous ticket" },
      { keys: ["Enter"], label: "Open the selected ticket" },
      { keys: ["Shift", "X"], label: "Select the ticket for a bulk change", staff: true },
      { keys: ["d"], label: "Compact or comfortable rows", staff: true },
      { keys: ["v"], label: "Show or hide the filters (phone)", target: "button.filters-toggle", click: true },
    ],
  },
  {
    group: "Ticket",
    items: [
      {
        keys: ["r"],
        label: "Write a public reply",
        target: "[data-testid=reply-box] input[name=kind][value=public], [data-testid=reply-box] textarea",
        click: true,
      },
      {
        keys: ["n"],
        label: "Write an internal note",
        staff: true,
        target: "[data-testid=reply-box] input[name=kind][value=internal]",
        click: true,
      },
      { keys: ["Ctrl", "Enter"], label: "Send the reply or note" },
      { keys: ["f"], label: "Attach files", target: "[data-testid=attach-input]" },
      { keys: ["m"], label: "Apply a macro", staff: true },
      { keys: ["s"], label: "Status", staff: true, target: ".ticket-side select[id$='-status']" },
      { keys: ["p"], label: "Priority", staff: true, target: ".ticket-side select[id$='-priority']" },
      { keys: ["a"], label: "Assignee", staff: true, target: ".ticket-side select[id$='-assignee']" },
      { keys: ["i"], label: "Assign to me", staff: true, target: ".ticket-side button.take", click: true },
      { keys: ["g"], label: "Group", staff: true, target: ".ticket-side select[id$='-group']" },
      { keys: ["t"], label: "Tags", staff: true, target: ".ticket-side input[id$='-tags']" },
      { keys: ["Esc"], label: "Close a dialog or menu" },
    ],
  },
];

/** The `?` overlay and the single-key actions that focus or press a control of the page. */
export function Shortcuts({ staff }: { staff: boolean }) {
  const router = useRouter();
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || typingIn(e.target)) return;
      if (dialog.current?.open) return;
      if (e.key === "?") {
        e.preventDefault();
        dialog.current?.showModal();
        return;
      }
      if (e.key === "/" && !document.getElementById("ticket-search")) {
        const s = document.getElementById("global-search");
        if (s) {
          e.preventDefault();
          s.focus();
        }
        return;
      }
      if (e.key === "u" && !document.querySelector("a[data-shortcut-home]")) {
        e.preventDefault();
        router.push("/");
        return;
      }
      const hit = SHORTCUTS.flatMap((g) => g.items).find(
        (s) => s.keys.length === 1 && s.keys[0] === e.key && s.target && (staff || !s.staff),
      );
      if (!hit?.target) return;
      const el = document.querySelector<HTMLElement>(hit.target);
      if (!el || (el as HTMLInputElement).disabled) return;
      e.preventDefault();
      if (hit.click) el.click();
      if (hit.click && el instanceof HTMLInputElement && el.type === "radio") {
        // A reply kind chosen: go on to the message field.
        setTimeout(() => document.querySelector<HTMLElement>("[data-testid=reply-box] textarea")?.focus(), 0);
      } else {
        el.focus();
      }
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [router, staff]);

  return (
    <>
      <button
        type="button"
        className="shortcuts-button"
        aria-keyshortcuts="?"
        onClick={() => dialog.current?.showModal()}
      >
        <span aria-hidden="true">?</span>
        <span className="visually-hidden">Keyboard shortcuts</span>
      </button>
      <dialog
        ref={dialog}
        className="shortcuts-dialog"
        aria-labelledby={`${id}-title`}
        data-testid="shortcuts-dialog"
        onClick={(e) => e.target === dialog.current && dialog.current?.close()}
      >
        <div className="shortcuts-head">
          <h2 id={`${id}-title`}>Keyboard shortcuts</h2>
          <button type="button" className="button subtle" onClick={() => dialog.current?.close()}>
            Close
          </button>
        </div>
        <div className="shortcuts-groups">
          {SHORTCUTS.map((g) => (
            <section key={g.group} aria-label={g.group}>
              <h3>{g.group}</h3>
              <dl>
                {g.items
                  .filter((s) => staff || !s.staff)
                  .map((s) => (
                    <div key={s.label}>
                      <dt>
                        {s.keys.map((k, i) => (
                          <span key={k}>
                            {i > 0 ? " + " : ""}
                            <kbd>{k}</kbd>
                          </span>
                        ))}
                      </dt>
                      <dd>{s.label}</dd>
                    </div>
                  ))}
              </dl>
            </section>
          ))}
        </div>
      </dialog>
    </>
  );
}
