"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { NEW_REPLY_EVENT, useDebounced, useLive } from "./use-live";

type Viewer = { name: string; typingUntil: number; seenUntil: number };

/** A viewer not heard of for this long is gone (the server repeats "viewing" every 15 s). */
const SEEN_MS = 40_000;
/** "Typing" lasts this long without a repeat (the reply box repeats it every 3 s while typing). */
const TYPING_MS = 6_000;

/**
 * The ticket page's live part: reloads the page's data when the ticket changes (someone else's
 * change), tells the reply box of new replies, and for staff shows who else is viewing or typing.
 */
export function LiveTicket({ ticketId, selfId, staff }: { ticketId: string; selfId: string; staff: boolean }) {
  const router = useRouter();
  const refresh = useDebounced(() => router.refresh(), 500);
  const [viewers, setViewers] = useState<Map<string, Viewer>>(new Map());
  const [now, setNow] = useState(() => Date.now());

  useLive(`/api/live?ticket=${encodeURIComponent(ticketId)}`, {
    onTicket: (e) => {
      if (e.ticketId !== ticketId || e.actorId === selfId) return;
      refresh();
      if (e.action === "ticket.replied" || e.action === "ticket.note_added") {
        window.dispatchEvent(new CustomEvent(NEW_REPLY_EVENT, { detail: { ticketId, internal: e.internal } }));
      }
    },
    onPresence: (e) => {
      if (e.userId === selfId) return;
      setViewers((prev) => {
        const next = new Map(prev);
        const t = Date.now();
        if (e.state === "left") next.delete(e.userId);
        else {
          const was = prev.get(e.userId);
          next.set(e.userId, {
            name: e.name,
            seenUntil: t + SEEN_MS,
            typingUntil:
              e.state === "typing" ? t + TYPING_MS : e.conn.startsWith("typing:") ? 0 : (was?.typingUntil ?? 0),
          });
        }
        return next;
      });
      setNow(Date.now());
    },
  });

  // Expire silent viewers and stale "typing".
  useEffect(() => {
    if (!staff) return;
    const id = setInterval(() => setNow(Date.now()), 2_000);
    return () => clearInterval(id);
  }, [staff]);

  if (!staff) return null;
  const here = [...viewers.entries()]
    .filter(([, v]) => v.seenUntil > now)
    .sort((a, b) => a[1].name.localeCompare(b[1].name));
  return (
    <div className="presence" data-testid="presence" aria-live="polite">
      {here.length === 0 ? (
        <span className="muted">Nobody else is viewing this ticket.</span>
      ) : (
        <>
          <span className="presence-label">Also here:</span>
          <ul>
            {here.map(([id, v]) => (
              <li key={id} data-testid="presence-viewer" data-typing={v.typingUntil > now ? "true" : undefined}>
                <span className="presence-dot" aria-hidden="true" />
                {v.name}
                {v.typingUntil > now ? (
                  <span className="presence-typing"> is typing a reply…</span>
                ) : (
                  <span className="visually-hidden"> is viewing</span>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
