import "server-only";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { z } from "zod";
import { env } from "../env";
import { logger } from "../observability/logger";

/**
 * What travels between app processes about one org (decision 052). Nothing here is a secret or
 * ticket content: ids, an action name, a display name, a presence state.
 */
export const ZLiveMessage = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("ticket"),
    ticketId: z.uuid(),
    /** The audit action that changed it (ticket.updated, ticket.replied, ticket.note_added, …). */
    action: z.string().max(100),
    actorId: z.uuid().nullable(),
    /** An internal note or a staff-only change: never forwarded to customers. */
    internal: z.boolean(),
  }),
  z.object({
    type: z.literal("presence"),
    ticketId: z.uuid(),
    userId: z.uuid(),
    name: z.string().max(200),
    /** hello: a viewer arrived and asks the others to say they are here; left: a viewer went away. */
    state: z.enum(["hello", "viewing", "typing", "left"]),
    /** One open page (a user may have the ticket open twice). */
    conn: z.string().max(64),
  }),
]);
export type LiveMessage = z.infer<typeof ZLiveMessage>;
export type Listener = (msg: LiveMessage) => void;

/** Fan-out of one org's live messages to every subscriber in every app process. */
export interface Hub {
  publish(orgId: string, msg: LiveMessage): Promise<void>;
  /** Resolves once messages published after it are delivered; the function it gives unsubscribes. */
  subscribe(orgId: string, fn: Listener): Promise<() => void>;
  close(): Promise<void>;
}

/** Subscribers of this process, by org. */
class Local {
  private byOrg = new Map<string, Set<Listener>>();
  add(orgId: string, fn: Listener): boolean {
    let set = this.byOrg.get(orgId);
    const first = !set;
    if (!set) this.byOrg.set(orgId, (set = new Set()));
    set.add(fn);
    return first;
  }
  /** True when that was the org's last subscriber here. */
  remove(orgId: string, fn: Listener): boolean {
    const set = this.byOrg.get(orgId);
    if (!set) return false;
    set.delete(fn);
    if (set.size > 0) return false;
    this.byOrg.delete(orgId);
    return true;
  }
  deliver(orgId: string, msg: LiveMessage): void {
    for (const fn of this.byOrg.get(orgId) ?? []) {
      try {
        fn(msg);
      } catch (err) {
        logger().warn({ err: (err as Error).message }, "live listener failed");
      }
    }
  }
}

/** One process only (no REDIS_URL): a message reaches the subscribers of the process that published it. */
export class MemoryHub implements Hub {
  private local = new Local();
  async publish(orgId: string, msg: LiveMessage): Promise<void> {
    this.local.deliver(orgId, msg);
  }
  async subscribe(orgId: string, fn: Listener): Promise<() => void> {
    this.local.add(orgId, fn);
    return () => void this.local.remove(orgId, fn);
  }
  async close(): Promise<void> {}
}

const CHANNEL_PREFIX = "beacon:live:";
const channelOf = (orgId: string) => `${CHANNEL_PREFIX}${orgId}`;

/**
 * Redis pub/sub, one channel per org (`beacon:live:<org id>`): a process subscribes to an org's
 * channel only while one of its pages of that org is listening, so it never receives another
 * org's messages. A message is delivered to this process's own subscribers at once and skipped
 * when it comes back from Redis (its `from` is this hub), so a Redis outage degrades to
 * in-process delivery instead of silence.
 */
export class RedisHub implements Hub {
  private readonly id = randomUUID();
  private local = new Local();
  private pub: Redis;
  private sub: Redis;
  private warned = false;

  constructor(url: string) {
    const opts = { maxRetriesPerRequest: 1, lazyConnect: false };
    this.pub = new Redis(url, { ...opts, enableOfflineQueue: false });
    this.sub = new Redis(url, opts);
    for (const c of [this.pub, this.sub]) {
      c.on("error", (err: Error) => {
        if (!this.warned)
          logger().warn({ err: err.message }, "redis unavailable: live updates reach this process's pages only");
        this.warned = true;
      });
      c.on("ready", () => (this.warned = false));
    }
    this.sub.on("message", (channel: string, text: string) => this.onMessage(channel, text));
  }

  private onMessage(channel: string, text: string): void {
    if (!channel.startsWith(CHANNEL_PREFIX)) return;
    let parsed: { from?: unknown; msg?: unknown };
    try {
      parsed = JSON.parse(text) as { from?: unknown; msg?: unknown };
    } catch {
      return;
    }
    if (parsed.from === this.id) return;
    const msg = ZLiveMessage.safeParse(parsed.msg);
    if (msg.success) this.local.deliver(channel.slice(CHANNEL_PREFIX.length), msg.data);
  }

  async publish(orgId: string, msg: LiveMessage): Promise<void> {
    this.local.deliver(orgId, msg);
    try {
      await this.pub.publish(channelOf(orgId), JSON.stringify({ from: this.id, msg }));
    } catch (err) {
      if (!this.warned) logger().warn({ err: (err as Error).message }, "live publish to redis failed");
      this.warned = true;
    }
  }

  async subscribe(orgId: string, fn: Listener): Promise<() => void> {
    if (this.local.add(orgId, fn)) {
      try {
        await this.sub.subscribe(channelOf(orgId));
      } catch (err) {
        logger().warn({ err: (err as Error).message }, "live subscribe to redis failed");
      }
    }
    return () => {
      if (this.local.remove(orgId, fn)) this.sub.unsubscribe(channelOf(orgId)).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.pub.disconnect();
    this.sub.disconnect();
  }
}

const g = globalThis as unknown as { __beaconLiveHub?: { hub: Hub; url: string | undefined } };

/** The process's hub: Redis when REDIS_URL is set (every app process and the worker), memory otherwise. */
export function liveHub(): Hub {
  const url = env().REDIS_URL;
  if (g.__beaconLiveHub && g.__beaconLiveHub.url !== url) {
    void g.__beaconLiveHub.hub.close();
    g.__beaconLiveHub = undefined;
  }
  g.__beaconLiveHub ??= { hub: url ? new RedisHub(url) : new MemoryHub(), url };
  return g.__beaconLiveHub.hub;
}
