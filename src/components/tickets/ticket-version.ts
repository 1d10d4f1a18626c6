"use client";

import { useEffect, useRef } from "react";

// The side panel has two editors of one ticket (properties, custom fields), each sending If-Match
// with the version it last saw (decision 043). When one saves, the ticket's version moves before
// the page's refresh reaches the other, whose next change would then be refused as a 412 "someone
// else changed this" for the agent's own change. Each editor announces the version its save
// answered with; the other adopts it (its own values are untouched by that save).

const EVENT = "beacon:ticket-version";
type Detail = { ticketId: string; version: number };

/** The version in an ETag ("7" or W/"7"); null when there is none. */
export function versionOfEtag(etag: string | undefined | null): number | null {
  const m = /^(?:W\/)?"(\d+)"$/.exec(etag ?? "");
  return m ? Number(m[1]) : null;
}

export function announceTicketVersion(ticketId: string, etag: string | undefined): void {
  const version = versionOfEtag(etag);
  if (version !== null) window.dispatchEvent(new CustomEvent<Detail>(EVENT, { detail: { ticketId, version } }));
}

/** Calls `adopt` with each version another editor of this ticket saved. */
export function useTicketVersion(ticketId: string, adopt: (version: number) => void): void {
  const latest = useRef(adopt);
  useEffect(() => {
    latest.current = adopt;
  });
  useEffect(() => {
    const on = (e: Event) => {
      const d = (e as CustomEvent<Detail>).detail;
      if (d.ticketId === ticketId) latest.current(d.version);
    };
    window.addEventListener(EVENT, on);
    return () => window.removeEventListener(EVENT, on);
  }, [ticketId]);
}
