import fs from "node:fs";
import { spawn } from "node:child_process";
import path from "node:path";

// Everything whose change alters what `next build` produces.
const SOURCE_DIRS = ["src", "public"];
const SOURCE_FILES = ["next.config.ts", "package.json", "package-lock.json", "tsconfig.json"];

/** A production build is (re)made when missing or older than any source file. */
export function needsBuild(root = process.cwd()): boolean {
  const buildId = path.resolve(root, ".next", "BUILD_ID");
  if (!fs.existsSync(buildId)) return true;
  const built = fs.statSync(buildId).mtimeMs;
  return newestSourceMtime(root) > built;
}

function newestSourceMtime(root: string): number {
  const newest = (dir: string): number => {
    let m = 0;
    if (!fs.existsSync(dir)) return m;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      m = Math.max(m, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
    }
    return m;
  };
  const files = SOURCE_FILES.map((f) => path.resolve(root, f)).map((f) =>
    fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0,
  );
  return Math.max(...SOURCE_DIRS.map((d) => newest(path.resolve(root, d))), ...files);
}

/** The `next` CLI, run with this Node rather than through a shell. */
export function nextBin(root = process.cwd()): string {
  return path.resolve(root, "node_modules", "next", "dist", "bin", "next");
}

/**
 * Runs `next build` when needsBuild() says so. Several people (or `npm start` and the e2e run)
 * may share one checkout: when another `next build` holds Next's lock on .next, wait for it and
 * check again rather than fail. Build output streams through as it happens.
 */
export async function buildIfNeeded(
  opts: { log?: (line: string) => void; waitForOtherBuildMs?: number } = {},
): Promise<void> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const deadline = Date.now() + (opts.waitForOtherBuildMs ?? 10 * 60_000);
  while (needsBuild()) {
    log("Building the app (next build)…");
    const { code, otherBuildRunning } = await runNextBuild();
    if (code === 0) return;
    if (!otherBuildRunning) throw new Error("next build failed; see above");
    if (Date.now() > deadline) throw new Error("another next build kept .next locked for too long");
    log("Another next build is running in this checkout; waiting for it to finish…");
    await new Promise((r) => setTimeout(r, 5_000));
  }
}

function runNextBuild(): Promise<{ code: number; otherBuildRunning: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin(), "build"], {
      stdio: ["ignore", "inherit", "pipe"],
      env: { ...process.env, NODE_ENV: "production" },
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderr = (stderr + chunk.toString("utf8")).slice(-4_000);
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      resolve({ code: code ?? 1, otherBuildRunning: /Another next build process is already running/.test(stderr) }),
    );
  });
}
