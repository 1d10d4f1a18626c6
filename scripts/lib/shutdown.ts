// Graceful stop for npm start, npm run web and npm run worker (issue 21, docs/decisions/028).
// The first SIGTERM/SIGINT drains within SHUTDOWN_GRACE_MS and exits 0 (1 if anything was cut);
// a second signal exits at once with 1. The pid file names this process, the one to signal.
import fs from "node:fs";
import path from "node:path";
import { closeDb } from "../../src/server/db/client";
import { logger } from "../../src/server/observability/logger";
import type { Booted } from "./boot";

export type DrainOutcome = { drained: Record<string, number>; cut: Record<string, number> };

/** Writes this process's pid; returns a remover that deletes the file only while it still names us. */
function writePidFile(file: string): () => void {
  const abs = path.resolve(file);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, `${process.pid}\n`);
  return () => {
    try {
      if (fs.readFileSync(abs, "utf8").trim() === String(process.pid)) fs.rmSync(abs);
    } catch {
      // already gone
    }
  };
}

/** Waits for p at most ms (a pool's end() waits for clients that cut work still holds). */
export async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/**
 * Writes the pid file and installs the SIGTERM/SIGINT handlers. `drain(deadline)` stops taking
 * work and lets what runs finish until `deadline` (epoch ms); then the release, the same for every
 * entry point: the database pool (its wait bounded when work was cut, as a pool's end() waits for
 * clients cut work still holds), embedded PostgreSQL last and only when this process started it,
 * the pid file. The process exits when both are done, or at deadline + 5 s whatever happens.
 * `exit(code)` releases and exits without a drain (a boot step failed before work began).
 */
export function onShutdown(opts: {
  what: string;
  graceMs: number;
  pidFile: string;
  booted: Pick<Booted, "embedded" | "shutdown">;
  drain: (deadline: number) => Promise<DrainOutcome>;
}): { exit: (code: number) => Promise<never> } {
  const removePidFile = writePidFile(opts.pidFile);
  const release = async (cut: boolean) => {
    try {
      await within(closeDb(), cut ? 1_000 : 5_000);
      await opts.booted.shutdown();
      if (opts.booted.embedded) console.log("Embedded PostgreSQL stopped.");
    } finally {
      removePidFile();
    }
  };
  let stopping = false;
  let firstAt = 0;
  const handler = (signal: NodeJS.Signals) => {
    const log = logger();
    // Ctrl-C under npm delivers SIGINT twice (the terminal's, and npm forwarding its own): a repeat
    // within a second is the same request, not the operator's second signal.
    if (stopping && Date.now() - firstAt < 1_000) return;
    if (stopping) {
      log.warn({ signal }, `${opts.what}: second signal, exiting now`);
      process.exit(1);
    }
    stopping = true;
    const started = (firstAt = Date.now());
    const deadline = started + opts.graceMs;
    log.info({ signal, graceMs: opts.graceMs }, `${opts.what}: stopping (draining)`);
    // The releases get 5 s past the grace; a hung step must not keep a stopped process alive.
    setTimeout(() => {
      log.error({ graceMs: opts.graceMs }, `${opts.what}: stop did not finish within the grace period + 5 s, exiting`);
      process.exit(1);
    }, opts.graceMs + 5_000).unref();
    void (async () => {
      let outcome: DrainOutcome = { drained: {}, cut: {} };
      let failed: string | undefined;
      try {
        outcome = await opts.drain(deadline);
      } catch (err) {
        failed = err instanceof Error ? err.message : String(err);
      }
      const cutAny = Object.values(outcome.cut).some((n) => n > 0);
      await release(cutAny || !!failed).catch(
        (err: unknown) => (failed ??= err instanceof Error ? err.message : String(err)),
      );
      const fields = {
        drained: outcome.drained,
        cut: outcome.cut,
        ms: Date.now() - started,
        ...(failed ? { err: failed } : {}),
      };
      if (cutAny || failed) log.warn(fields, `${opts.what} stopped; cut work at the grace period`);
      else log.info(fields, `${opts.what} stopped`);
      // pino writes synchronously to stdout; exit once the line is out.
      process.exit(cutAny || failed ? 1 : 0);
    })();
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
  return {
    exit: async (code) => {
      await release(false).catch(() => undefined);
      process.exit(code);
    },
  };
}
