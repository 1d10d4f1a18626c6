// Worker thread of verifyChainParallel() (verify-parallel.ts): verifies one seq range of an org's
// audit chain with verifyRange(), on its own connection, and posts the result. The worker loads
// the TypeScript sources itself (tsx) and maps "server-only" to an empty module, as
// scripts/run.mjs does for the main thread.
import { register } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

register(
  "data:text/javascript," +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
  if (specifier === "server-only") return { url: "data:text/javascript,export{}", shortCircuit: true };
  return next(specifier, context);
}`),
);
const { register: registerTsx } = await import("tsx/esm/api");
registerTsx();

const { withTenant } = await import("../db/tenant.ts");
const { closeDb } = await import("../db/client.ts");
const { verifyRange } = await import("./verify-chain.ts");

const { orgId, from, to } = workerData;
try {
  const result = await withTenant(orgId, (tx) => verifyRange(tx, orgId, from, to));
  parentPort.postMessage({ ok: true, result });
} catch (err) {
  parentPort.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
} finally {
  await closeDb();
}
