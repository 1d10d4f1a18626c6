import "server-only";
import { randomUUID } from "node:crypto";
import type { Principal } from "../core/principal";
import { isStaff } from "../authz/permissions";
import { logger } from "../observability/logger";
import { liveHub, type Hub, type LiveMessage } from "./hub";

export type StreamOptions = {
  user: Pick<Principal, "userId" | "orgId" | "role" | "name">;
  /** The ticket page's ticket (presence, its changes); null on a list page (every ticket's changes, staff only). */
  ticketId: string | null;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  hub?: Hub;
  /** How often the stream says it is alive and a viewer repeats that it is here. */
  heartbeatMs?: number;
  /** A stream ends after this long; EventSource reconnects by itself (bounds what a drain waits for). */
  maxAgeMs?: number;
};

export const HEARTBEAT_MS = 15_000;
const MAX_AGE_MS = 5 * 60_000;

const encoder = new TextEncoder();

/** Every open stream of this process, so a drain can end them at once instead of waiting for its deadline. */
const g = globalThis as unknown as { __beaconLiveStreams?: Set<() => void>; __beaconLiveDrainHook?: boolean };
const openStreams = (g.__beaconLiveStreams ??= new Set());

/**
 * When the process drains (SIGTERM/SIGINT, decision 028), its live streams end at once: the pages
 * reconnect to another process. Only hooked when the process already handles those signals (the
 * start script does), so a process without a handler still exits on them by default.
 */
function hookDrain(): void {
  if (g.__beaconLiveDrainHook) return;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    if (process.listenerCount(signal) === 0) continue;
    process.on(signal, endLiveStreams);
    g.__beaconLiveDrainHook = true;
  }
}

/** Ends every open live stream of this process (a drain; tests). */
export function endLiveStreams(): void {
  for (const end of [...openStreams]) end();
}
const frame = (event: string, data: unknown) => encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

/**
 * What one listener may hear: staff every change of their org's tickets (or of their ticket) and
 * the presence of other staff on their ticket (not their own, even from another tab); a customer only the changes of the one ticket they
 * opened (visibility checked by the caller) that are not staff-only, and never presence.
 */
export function forwards(user: StreamOptions["user"], ticketId: string | null, conn: string, m: LiveMessage): boolean {
  if (ticketId && m.ticketId !== ticketId) return false;
  if (m.type === "presence")
    return isStaff(user) && ticketId !== null && m.conn !== conn && m.userId !== user.userId && m.state !== "hello";
  return isStaff(user) ? true : ticketId !== null && !m.internal;
}

/**
 * A Server-Sent Events response (decision 052): `event: ticket` when a ticket changed,
 * `event: presence` when another agent arrives, types or leaves. A plain streamed Response, so it
 * is served alike by a Next route handler and by a node:http server that answers with Responses.
 */
export async function liveStream(o: StreamOptions): Promise<Response> {
  const hub = o.hub ?? liveHub();
  const conn = randomUUID();
  const { user, ticketId } = o;
  const present = isStaff(user) && ticketId !== null;
  const say = (state: "hello" | "viewing" | "left") =>
    present
      ? hub
          .publish(user.orgId, {
            type: "presence",
            ticketId: ticketId!,
            userId: user.userId,
            name: user.name,
            state,
            conn,
          })
          .catch(() => undefined)
      : Promise.resolve();

  let cleanup: (() => void) | undefined;
  const body = new ReadableStream<Uint8Array>({
    start: async (controller) => {
      let closed = false;
      const send = (chunk: Uint8Array) => {
        if (closed) return;
        try {
          controller.enqueue(chunk);
        } catch {
          end();
        }
      };
      const unsubscribe = await hub.subscribe(user.orgId, (m) => {
        if (present && m.type === "presence" && m.state === "hello" && m.conn !== conn && m.ticketId === ticketId)
          void say("viewing");
        if (forwards(user, ticketId, conn, m)) send(frame(m.type, m));
      });
      const beat = setInterval(() => {
        send(encoder.encode(": ping\n\n"));
        void say("viewing");
      }, o.heartbeatMs ?? HEARTBEAT_MS);
      const maxAge = setTimeout(() => end(), o.maxAgeMs ?? MAX_AGE_MS);
      function end() {
        if (closed) return;
        closed = true;
        openStreams.delete(end);
        clearInterval(beat);
        clearTimeout(maxAge);
        unsubscribe();
        void say("left");
        o.signal?.removeEventListener("abort", end);
        try {
          controller.close();
        } catch {
          // already closed by the consumer
        }
      }
      cleanup = end;
      openStreams.add(end);
      hookDrain();
      o.signal?.addEventListener("abort", end);
      if (o.signal?.aborted) return end();
      // The client retries 3 s after a drop; `ready` tells it the subscription is in place.
      send(encoder.encode(`retry: 3000\n\n`));
      send(frame("ready", { conn, presence: present }));
      await say("hello");
      await say("viewing");
    },
    cancel: () => cleanup?.(),
  });
  logger().debug({ orgId: user.orgId, ticketId }, "live stream opened");
  return new Response(body, {
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      // no-transform: a compressing proxy (or Next's compression) must not buffer the stream.
      "Cache-Control": "no-store, no-transform",
      "X-Accel-Buffering": "no",
    },
  });
}

/** Tells the other agents on a ticket that this one is typing a reply (true) or stopped (false). */
export async function announceTyping(
  user: StreamOptions["user"],
  ticketId: string,
  typing: boolean,
  hub: Hub = liveHub(),
): Promise<void> {
  await hub.publish(user.orgId, {
    type: "presence",
    ticketId,
    userId: user.userId,
    name: user.name,
    state: typing ? "typing" : "viewing",
    conn: `typing:${user.userId}`,
  });
}
