// Scripts (start, seed, migrate, bootstrap) import server modules that carry `import "server-only"`.
// That guard exists to keep server code out of client bundles; outside Next.js it would throw, so
// CLI entry points map it to an empty module.
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === "server-only") return { url: "data:text/javascript,export{}", shortCircuit: true };
  return next(specifier, context);
}`),
);
