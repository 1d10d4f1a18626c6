"use client";

import { useEffect, useRef } from "react";

export type LiveTicketEvent = {
  type: "ticket";
  ticketId: string;
  action: string;
  actorId: string | null;
  internal: boolean;
};
export type LivePresenceEvent = {
  type: "presence";
  ticketId: string;
  userId: string;
  name: string;
  state: "viewing" | "typing" | "left";
  conn: string;
};

/** Fired on window when someone else replied on the ticket (the reply box warns before sending). */
export const NEW_REPLY_EVENT = "beacon:new-reply";

type Handlers = {
  onTicket?: (e: LiveTicketEvent) => void;
  onPresence?: (e: LivePresenceEvent) => void;
  onReady?: () => void;
};

/**
 * The page's Server-Sent Events stream (/api/live, decision 052). EventSource reconnects by itself
 * (the server ends a stream after a few minutes); handlers may change between renders.
 */
export function useLive(url: string | null, handlers: Handlers): void {
  const ref = useRef(handlers);
  useEffect(() => {
    ref.current = handlers;
  });
  useEffect(() => {
    if (!url || typeof EventSource === "undefined") return;
    let es: EventSource;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const parse = <T>(e: MessageEvent): T | null => {
      try {
        return JSON.parse(String(e.data)) as T;
      } catch {
        return null;
      }
    };
    const listen = (source: EventSource) => {
      source.addEventListener("ready", () => ref.current.onReady?.());
      source.addEventListener("ticket", (e) => {
        const m = parse<LiveTicketEvent>(e as MessageEvent);
        if (m) ref.current.onTicket?.(m);
      });
      source.addEventListener("presence", (e) => {
        const m = parse<LivePresenceEvent>(e as MessageEvent);
        if (m) ref.current.onPresence?.(m);
      });
    };
    // EventSource retries a dropped stream by itself, but gives up on an HTTP error (a draining
    // process answers 503): then open a new one a few seconds later.
    const connect = () => {
      es = new EventSource(url);
      es.addEventListener("error", () => {
        if (es.readyState !== EventSource.CLOSED || stopped) return;
        retry = setTimeout(connect, 3_000 + Math.random() * 2_000);
      });
      listen(es);
    };
    connect();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      es.close();
    };
  }, [url]);
}

/** router.refresh() at most once per `ms`, trailing: a burst of changes reloads the data once. */
export function useDebounced(fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(fn);
  useEffect(() => {
    latest.current = fn;
  });
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  return () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      latest.current();
    }, ms);
  };
}
