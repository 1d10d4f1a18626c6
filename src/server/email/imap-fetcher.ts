import "server-only";
import type { ImapFlow } from "imapflow";
import { open } from "../auth/secret-box";
import { withTenant } from "../db/tenant";
import { env } from "../env";
import { isFeatureEnabled } from "../flags/flags";
import { logger } from "../observability/logger";
import { metrics } from "../observability/metrics";
import { classifyImapError, closeImap, ImapFailure, openImap, selectFolder } from "./imap-client";
import {
  LEASE_SECONDS,
  unsafeAdvance,
  unsafeClaimMailboxes,
  unsafeRecordFailure,
  unsafeRecordFetched,
  unsafeReleaseMailbox,
  unsafeRenewLease,
  unsafeRestartAt,
  unsafeResumePoint,
  type ClaimedMailbox,
} from "./imap-state";
import { IMAP_PASSWORD_PURPOSE } from "./mailboxes";
import { storeInbound } from "./store-inbound";

// The worker's IMAP loop (issue 12 item 2, decision 034). Every few seconds it takes the enabled
// mailboxes that are due and not held by another worker, and runs one session per mailbox: log in,
// SELECT, import what is new, wait in IDLE (or IMAP_POLL_SECONDS), again. Per message, in this
// order: storeInbound commits the raw bytes and the apply job; then the message is marked \Seen or
// moved; then last_uid moves past it. A crash between two steps re-fetches the message next time,
// and storeInbound's idempotency (Message-ID per org, or the bytes' hash) makes that a no-op.

export type ImapFetcherOptions = {
  /** Names this worker in the lease (host:pid:random). */
  owner: string;
  pollSeconds?: number;
  /** How often to look for mailboxes to take (default 5 s). */
  scanIntervalMs?: number;
  maxSessions?: number;
  /** Tests restrict a fetcher to their own orgs (the test database is shared by parallel files). */
  onlyOrgs?: string[];
};
export type RunningImapFetcher = { stop: (graceMs?: number) => Promise<void> };

const BATCH = 50;

type Session = { mb: ClaimedMailbox; stop: () => void; done: Promise<void>; client?: ImapFlow };

export function startImapFetcher(opts: ImapFetcherOptions): RunningImapFetcher {
  const log = logger().child({ component: "imap" });
  const pollMs = (opts.pollSeconds ?? env().IMAP_POLL_SECONDS) * 1000;
  const sessions = new Map<string, Session>();
  let stopping = false;
  let scanning: Promise<void> = Promise.resolve();

  const scan = async () => {
    if (stopping) return;
    try {
      const claimed = await unsafeClaimMailboxes(opts.owner, (opts.maxSessions ?? 50) - sessions.size, opts.onlyOrgs);
      for (const mb of claimed) sessions.set(mb.id, startSession(mb));
    } catch (err) {
      log.error({ err: err instanceof Error ? err.message : String(err) }, "looking for IMAP mailboxes failed");
    }
  };
  const timer = setInterval(() => (scanning = scanning.then(scan)), opts.scanIntervalMs ?? 5_000);
  scanning = scan();

  function startSession(mb: ClaimedMailbox): Session {
    let wake: () => void = () => undefined;
    const s: Session = { mb, stop: () => undefined, done: Promise.resolve() };
    let ended = false;
    s.stop = () => {
      ended = true;
      wake();
    };
    const mlog = log.child({ orgId: mb.orgId, mailboxId: mb.id });
    const renew = setInterval(
      () => {
        unsafeRenewLease(mb, opts.owner).then(
          (ok) => {
            if (!ok) {
              mlog.info(
                { event: "imap_session_ended" },
                "mailbox changed, disabled, disconnected or taken over; ending its session",
              );
              s.stop();
            }
          },
          () => undefined,
        );
      },
      (LEASE_SECONDS * 1000) / 3,
    );

    const run = async (): Promise<number> => {
      if (!(await intakeOn(mb.orgId))) return pollMs / 1000;
      const password = open(mb.passwordSealed, IMAP_PASSWORD_PURPOSE);
      if (password === null)
        throw new ImapFailure(
          "decrypt",
          "password",
          "the stored password cannot be read (NEXTAUTH_SECRET changed?); enter it again",
        );
      const client = await openImap({
        host: mb.host,
        port: mb.port,
        tlsMode: mb.tlsMode,
        username: mb.username,
        password,
      });
      s.client = client;
      try {
        const box = await selectFolder(client, mb.folder);
        const uidValidity = Number(box.uidValidity);
        let closed = false;
        // New mail announced while a pass runs (an EXISTS in a FETCH answer) must not be lost
        // until the next poll: the flag makes the loop look again at once.
        let announced = false;
        client.on("exists", () => {
          announced = true;
          wake();
        });
        client.on("close", () => {
          closed = true;
          wake();
        });
        while (!ended && !stopping && !closed) {
          if (!(await intakeOn(mb.orgId))) return pollMs / 1000;
          announced = false;
          const n = await importNew(client, mb, uidValidity, box.uidNext, () => ended || stopping);
          if (n === "paused") return pollMs / 1000;
          await ours(unsafeRecordFetched(mb));
          if (n > 0) continue;
          await new Promise<void>((resolve) => {
            const t = setTimeout(() => wake(), pollMs);
            wake = () => {
              clearTimeout(t);
              wake = () => undefined;
              resolve();
            };
            if (ended || stopping || announced || closed) return wake();
            // IDLE where the server has it: 'exists' wakes the loop at once. Without it the timer polls.
            if (client.capabilities.has("IDLE")) void client.idle().catch(() => undefined);
          });
        }
        if (closed && !stopping && !ended)
          throw new ImapFailure("unreachable", "host", "the server closed the connection");
        return 0;
      } finally {
        await closeImap(client);
      }
    };

    s.done = run()
      .then(
        (retryIn) => unsafeReleaseMailbox(mb, opts.owner, retryIn),
        async (err: unknown) => {
          const f = classifyImapError(err);
          metrics().imapFetchErrors.inc({ reason: f.reason });
          const failures = await unsafeRecordFailure(mb, opts.owner, f.message);
          mlog.warn(
            { reason: f.reason, err: f.message, failures, event: "imap_fetch_failed" },
            "IMAP mailbox fetch failed; backing off",
          );
        },
      )
      .catch((err: unknown) =>
        mlog.error({ err: err instanceof Error ? err.message : String(err) }, "recording an IMAP session's end failed"),
      )
      .finally(() => {
        clearInterval(renew);
        sessions.delete(mb.id);
      });
    return s;
  }

  return {
    stop: async (graceMs = 10_000) => {
      stopping = true;
      clearInterval(timer);
      await scanning;
      for (const s of sessions.values()) s.stop();
      const all = Promise.all([...sessions.values()].map((s) => s.done));
      let t: NodeJS.Timeout | undefined;
      const cut = await Promise.race([
        all.then(() => false),
        new Promise<boolean>((r) => (t = setTimeout(r, graceMs, true))),
      ]);
      clearTimeout(t);
      // Past the grace: the message in hand stays unseen on the server and is fetched again later.
      if (cut) for (const s of sessions.values()) s.client?.close();
      await all;
    },
  };
}

/** Beacon's own steps (the database): a failure there is `internal`, never blamed on the IMAP host. */
async function ours<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    logger()
      .child({ component: "imap" })
      .error({ err: err instanceof Error ? err.message : String(err) }, "storing fetched IMAP mail failed");
    throw new ImapFailure(
      "internal",
      "host",
      "Beacon could not store the fetched mail (see the worker log); it stays on the server and is fetched again",
    );
  }
}

async function intakeOn(orgId: string): Promise<boolean> {
  return ours(withTenant(orgId, (tx) => isFeatureEnabled(tx, orgId, "email_inbound")));
}

/**
 * Imports what is new in the selected folder; the number imported, or "paused" when the org's
 * email_inbound switch went off (the rest stays unread on the server).
 *
 * First look, or a new UIDVALIDITY (the server renumbered the folder, so the stored last UID means
 * nothing): only the messages without \Seen up to UIDNEXT-1 are the backlog, never the whole
 * folder. Those Beacon imported before were marked \Seen or moved away; one it imported but could
 * not mark yet is stored again as a no-op. The new resume point is written after the backlog.
 */
async function importNew(
  client: ImapFlow,
  mb: ClaimedMailbox,
  uidValidity: number,
  uidNext: number | undefined,
  stop: () => boolean,
): Promise<number | "paused"> {
  const resume = await ours(unsafeResumePoint(mb));
  const fresh = resume.uidValidity !== uidValidity;
  let uids: number[];
  let baseline = 0;
  if (fresh) {
    baseline = uidNext ? uidNext - 1 : Math.max(0, ...((await client.search({ all: true }, { uid: true })) || []));
    uids = ((await client.search({ seen: false }, { uid: true })) || []).filter((u) => u <= baseline);
  } else {
    // "n:*" always includes the highest UID, even when it is below n: filter.
    uids = ((await client.search({ uid: `${resume.lastUid + 1}:*` }, { uid: true })) || []).filter(
      (u) => u > resume.lastUid,
    );
  }
  uids.sort((a, b) => a - b);
  const batch = fresh ? uids : uids.slice(0, BATCH);
  let imported = 0;
  const maxBytes = env().INBOUND_MAX_BYTES;
  for (const uid of batch) {
    if (stop()) return imported;
    const msg = await client.fetchOne(String(uid), { uid: true, size: true, source: true }, { uid: true });
    if (msg && msg.source) {
      if ((msg.size ?? msg.source.length) > maxBytes) {
        // Left on the server, unread, for a person: Beacon cannot take it (the SMTP receiver answers 552).
        metrics().imapFetchErrors.inc({ reason: "too_large" });
        logger().warn(
          { orgId: mb.orgId, mailboxId: mb.id, uid, bytes: msg.size, event: "imap_message_too_large" },
          "IMAP message over INBOUND_MAX_BYTES left in the mailbox",
        );
      } else {
        const r = await ours(
          storeInbound({ orgId: mb.orgId, source: "imap", raw: msg.source, mailFrom: null, rcptTo: mb.rcptTo }),
        );
        if (!r.stored) return "paused";
        if (mb.afterImport === "move" && mb.moveTo) await client.messageMove(String(uid), mb.moveTo, { uid: true });
        else await client.messageFlagsAdd(String(uid), ["\\Seen"], { uid: true });
        metrics().imapFetched.inc({ duplicate: r.duplicate ? "true" : "false" });
        if (!r.duplicate) imported++;
      }
    }
    if (!fresh) await ours(unsafeAdvance(mb, uidValidity, uid));
  }
  if (fresh) await ours(unsafeRestartAt(mb, uidValidity, baseline));
  return fresh ? imported : batch.length === BATCH ? Math.max(imported, 1) : imported;
}
