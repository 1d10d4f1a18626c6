// Child processes of the cluster test: each in its own process group (so a stop reaches
// everything it started), its output in a log file, the last lines kept for the report.
import fs from "node:fs";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export type Child = {
  name: string;
  pid: number;
  logFile: string;
  exited: Promise<Exit>;
  isRunning: () => boolean;
  /** Resolves when a line of output matches; rejects if the process exits first or time runs out. */
  waitForLine: (re: RegExp, timeoutMs: number) => Promise<void>;
  tail: (n?: number) => string[];
  /** Signals the whole process group. */
  signal: (sig: NodeJS.Signals) => void;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop: (graceMs?: number) => Promise<Exit>;
};

const live = new Set<Child>();

export function spawnChild(opts: {
  name: string;
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logDir: string;
}): Child {
  const logFile = path.join(opts.logDir, `${opts.name}.log`);
  const log = fs.createWriteStream(logFile, { flags: "a" });
  const proc: ChildProcess = spawn(opts.cmd, opts.args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const watchers = new Set<(line: string) => void>();
  let partial = "";
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    const text = partial + chunk.toString("utf8");
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      for (const w of watchers) w(line);
    }
  };
  proc.stdout?.on("data", onData);
  proc.stderr?.on("data", onData);
  let running = true;
  const exited = new Promise<Exit>((resolve) => {
    proc.once("error", (err) => {
      running = false;
      log.write(`spawn error: ${err.message}\n`);
      resolve({ code: -1, signal: null });
    });
    proc.once("exit", (code, signal) => {
      running = false;
      log.end();
      resolve({ code, signal });
    });
  });
  const pid = proc.pid ?? -1;
  const signalGroup = (sig: NodeJS.Signals) => {
    if (!running || pid <= 0) return;
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        proc.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  const child: Child = {
    name: opts.name,
    pid,
    logFile,
    exited,
    isRunning: () => running,
    tail: (n = 20) => lines.slice(-n),
    signal: signalGroup,
    waitForLine: (re, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        if (lines.some((l) => re.test(l))) return resolve();
        const timer = setTimeout(
          () => done(new Error(`${opts.name}: no line matching ${re} within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const watcher = (line: string) => re.test(line) && done();
        const done = (err?: Error) => {
          clearTimeout(timer);
          watchers.delete(watcher);
          if (err) reject(err);
          else resolve();
        };
        watchers.add(watcher);
        void exited.then((e) =>
          done(
            new Error(`${opts.name} exited (code ${e.code}, signal ${e.signal}) before it was ready; log: ${logFile}`),
          ),
        );
      }),
    stop: async (graceMs = 8_000) => {
      if (!running) return exited;
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
      const e = await exited;
      clearTimeout(timer);
      // Anything the process left behind in its group goes too.
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* group empty */
      }
      return e;
    },
  };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

/** A script under scripts/ run by the single entry point scripts/run.mjs (in-process, no tsx CLI wrapper), so a signal reaches the real process. */
export function spawnNodeScript(opts: {
  name: string;
  script: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  logDir: string;
}): Child {
  return spawnChild({
    name: opts.name,
    cmd: process.execPath,
    args: ["scripts/run.mjs", opts.script.replace(/^(\.\/)?scripts\//, "")],
    env: opts.env,
    cwd: opts.cwd,
    logDir: opts.logDir,
  });
}

/** Last resort on an abrupt exit: SIGKILL every process group still running. */
export function killAllChildrenNow(): void {
  for (const c of live) c.signal("SIGKILL");
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until probe returns a truthy value, or returns undefined at the deadline. */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > until) return undefined;
    await sleep(everyMs);
  }
}
