import { spawn } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export type ScriptRun = { code: number; stdout: string; stderr: string };

/**
 * Runs `scripts/<file>` as its npm script does (`node scripts/run.mjs <file>`), as a child process
 * of the test: the test's environment without the `drop` keys, then `env` on top (an undefined
 * value leaves the key as it is), `stdin` written to its standard input.
 */
export function runScript(
  file: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; drop?: string[]; stdin?: string } = {},
): Promise<ScriptRun> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const k of opts.drop ?? []) delete childEnv[k];
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) childEnv[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts/run.mjs"), file, ...args], {
      cwd: ROOT,
      env: childEnv,
      stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  });
}
