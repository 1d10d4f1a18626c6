import { spawn } from "node:child_process";
import path from "node:path";

// Child processes of the bench runner. Each measurement runs in its own process (its own pool,
// its own heap, nothing left behind in the runner) and reports one JSON object as the last line
// of its stdout; everything else it prints is passed through with a prefix.

/**
 * node [flags] scripts/run.mjs <script under scripts/> [args]: the project's one entry point for
 * TypeScript scripts (tsx and the server-only shim loaded in this very process), so one real
 * process that a kill reaches. `script` may be given as scripts/bench/x.ts or bench/x.
 */
export function tsNodeArgs(script: string, args: string[] = [], nodeFlags: string[] = []): string[] {
  return [...nodeFlags, "scripts/run.mjs", script.replace(/^(\.\/)?scripts\//, ""), ...args];
}

export type ChildResult<T> = { code: number; json: T | null; stdout: string; stderr: string; ms: number };

/**
 * Runs `node <args>` (cwd = repo root) and resolves with its exit code and the JSON object on its
 * last non-empty stdout line (null when that line is not JSON). Output is echoed as it arrives,
 * each line prefixed with `[label]`, unless `quiet`.
 */
export function runChild<T>(
  label: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; quiet?: boolean; command?: string } = {},
): Promise<ChildResult<T>> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(opts.command ?? process.execPath, args, {
      cwd: path.resolve(import.meta.dirname, "../../.."),
      env: opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const echo = (stream: NodeJS.WriteStream) => {
      let partial = "";
      return (chunk: Buffer) => {
        if (opts.quiet) return;
        const lines = (partial + chunk.toString("utf8")).split("\n");
        partial = lines.pop() ?? "";
        for (const l of lines) if (l.trim() && !l.trimStart().startsWith('{"')) stream.write(`  [${label}] ${l}\n`);
      };
    };
    const out = echo(process.stdout);
    const err = echo(process.stderr);
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
      out(c);
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr = (stderr + c.toString("utf8")).slice(-20_000);
      err(c);
    });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          stderr += `\n(killed after ${Math.round(opts.timeoutMs! / 1000)} s)`;
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
        }, opts.timeoutMs)
      : undefined;
    child.once("error", (e) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 127, json: null, stdout, stderr: `${stderr}\n${e.message}`, ms: Date.now() - started });
    });
    child.once("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const last = stdout.trim().split("\n").at(-1) ?? "";
      let json: T | null = null;
      try {
        json = last.startsWith("{") ? (JSON.parse(last) as T) : null;
      } catch {
        json = null;
      }
      resolve({ code: code ?? (signal ? 128 : 1), json, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The last few lines of a child's stderr (or stdout), for a one-line failure reason. */
export function tailOf(r: { stderr: string; stdout: string }, lines = 3): string {
  // Not JSON and not stack frames: the lines that say what went wrong.
  const pick = (t: string) =>
    t.split("\n").filter((l) => l.trim() && !l.trimStart().startsWith("{") && !/^\s*at /.test(l));
  const text = pick(r.stderr).length > 0 ? pick(r.stderr) : pick(r.stdout);
  return text
    .slice(-lines)
    .map((l) => (l.length > 200 ? `${l.slice(0, 200)}…` : l.trim()))
    .join(" | ");
}
