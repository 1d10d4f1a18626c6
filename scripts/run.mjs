// The one way the npm scripts run a TypeScript script: `node scripts/run.mjs <script> [args…]`,
// where <script> is a path under scripts/ with or without ".ts" (`start`, `bench/run.ts`).
//
// It loads TypeScript support (tsx) and the server-only shim, then imports the script in this very
// process, with process.argv as if the script had been started directly ([node, script, …args]).
// No child process: `exec node scripts/run.mjs start` leaves one process, so the SIGTERM a
// supervisor (or npm run test:drain) sends reaches the script's own drain handler.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [name, ...args] = process.argv.slice(2);
const file =
  name &&
  [name, `${name}.ts`]
    .map((n) => path.resolve(import.meta.dirname, n))
    .find((f) => fs.statSync(f, { throwIfNoEntry: false })?.isFile());
if (!file) {
  console.error(
    name
      ? `scripts/run.mjs: no script scripts/${name} or scripts/${name}.ts`
      : "usage: node scripts/run.mjs <script under scripts/> [args…]",
  );
  process.exit(2);
}

await import("tsx");
await import("./lib/server-only-shim.mjs");
process.argv = [process.argv[0], file, ...args];
await import(pathToFileURL(file).href);
