"use client";

import Link from "next/link";
import { useCallback, useEffect, useId, useRef, useState } from "react";
import { api, describeFailure } from "./api-client";
import { LocalTime } from "./local-time";

type Notification = {
  id: string;
  kind: string;
  ticketId: string | null;
  payload: { ticket?: { number?: number; subject?: string }; metric?: string };
  readAt: string | null;
  createdAt: string;
};
type Page = { data: Notification[]; nextCursor: string | null; unreadCount: number };

const POLL_MS = 30_000;

const METRIC_NAMES: Record<string, string> = {
  first_response: "first response",
  next_response: "next response",
  resolution: "resolution",
};

/** What a notification says, in words a person expects. */
export function notificationText(n: Notification): string {
  const t = n.payload.ticket;
  const ref = t?.number ? `#${t.number}${t.subject ? ` ${t.subject}` : ""}` : "a ticket";
  const metric = n.payload.metric ? (METRIC_NAMES[n.payload.metric] ?? n.payload.metric) : "an SLA target";
  switch (n.kind) {
    case "sla.warning":
      return `SLA warning: ${metric} due soon on ${ref}`;
    case "sla.breach":
      return `SLA breached: ${metric} overdue on ${ref}`;
    case "ticket.assigned":
      return `Assigned to you: ${ref}`;
    case "ticket.created":
      return `New ticket: ${ref}`;
    case "ticket.replied":
      return `New reply on ${ref}`;
    default:
      return `${n.kind} on ${ref}`;
  }
}

/**
 * The header's bell: unread count, and a panel of recent notifications with links to their
 * tickets and "Mark all read". Polls every 30 s while the tab is visible.
 */
export function NotificationBell() {
  const [page, setPage] = useState<Page | null>(null);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const panelId = useId();
  const headingId = useId();

  const load = useCallback(async () => {
    const r = await api<Page>("GET", "/api/v1/notifications?limit=10");
    if (r.ok) {
      setPage(r.data);
      setError(null);
    } else {
      setError(describeFailure(r.error));
    }
  }, []);

  useEffect(() => {
    // The first load runs right away; later ones only while the tab is visible.
    const first = setTimeout(() => void load(), 0);
    const poll = setInterval(() => {
      if (document.visibilityState === "visible") void load();
    }, POLL_MS);
    const onVisible = () => {
      if (document.visibilityState === "visible") void load();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearTimeout(first);
      clearInterval(poll);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [load]);

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      if (wrapRef.current && !wrapRef.current.contains(e.target as Node)) setOpen(false);
    };
    // Escape closes the panel wherever focus is, and focus returns to the bell.
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      setOpen(false);
      buttonRef.current?.focus();
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  function toggle() {
    const next = !open;
    setOpen(next);
    setStatus("");
    if (next) void load();
  }

  async function markAllRead() {
    if (busy || unread === 0) return;
    setBusy(true);
    const r = await api<{ updated: number }>("POST", "/api/v1/notifications/read", { all: true });
    setBusy(false);
    if (!r.ok) {
      setError(describeFailure(r.error));
      return;
    }
    setStatus(r.data.updated === 1 ? "1 notification marked read." : `${r.data.updated} notifications marked read.`);
    await load();
  }

  function markOneRead(n: Notification) {
    if (n.readAt) return;
    // keepalive: the request outlives the navigation the click starts.
    void fetch("/api/v1/notifications/read", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ids: [n.id] }),
      keepalive: true,
    }).catch(() => undefined);
    setOpen(false);
  }

  const unread = page?.unreadCount ?? 0;
  const label = unread > 0 ? `Notifications, ${unread} unread` : "Notifications";

  return (
    <div className="bell" ref={wrapRef}>
      <button
        ref={buttonRef}
        type="button"
        className="button subtle bell-button"
        aria-expanded={open}
        aria-controls={panelId}
        aria-label={label}
        onClick={toggle}
        data-testid="notifications-button"
      >
        <svg
          aria-hidden="true"
          width="18"
          height="18"
          viewBox="0 0 24 24"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          strokeLinecap="round"
          strokeLinejoin="round"
        >
          <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
          <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
        </svg>
        {unread > 0 ? (
          <span className="bell-count" data-testid="notifications-unread" aria-hidden="true">
            {unread > 99 ? "99+" : unread}
          </span>
        ) : null}
      </button>
      <section id={panelId} className="bell-panel card" hidden={!open} aria-labelledby={headingId}>
        <div className="bell-panel-head">
          <h2 id={headingId}>Notifications</h2>
          {/* aria-disabled, not disabled: the button keeps focus after marking everything read. */}
          <button
            type="button"
            className="button subtle"
            onClick={markAllRead}
            aria-disabled={busy || unread === 0}
            aria-busy={busy}
          >
            Mark all read
          </button>
        </div>
        <p role="status" className="bell-status">
          {status}
        </p>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        {page === null ? (
          <p className="muted">Loading…</p>
        ) : page.data.length === 0 ? (
          <p className="muted">Nothing yet. You will hear about assignments, replies and SLA warnings here.</p>
        ) : (
          <ul className="bell-list">
            {page.data.map((n) => (
              <li key={n.id} className={n.readAt ? "read" : "unread"}>
                {n.ticketId ? (
                  <Link href={`/tickets/${n.ticketId}`} onClick={() => markOneRead(n)}>
                    {n.readAt ? null : <span className="visually-hidden">Unread: </span>}
                    {notificationText(n)}
                  </Link>
                ) : (
                  <span>{notificationText(n)}</span>
                )}
                <LocalTime iso={n.createdAt} className="muted bell-time" />
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
