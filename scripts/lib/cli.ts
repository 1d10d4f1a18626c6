import { parseArgs, type ParseArgsConfig } from "node:util";

// A script's usage error prints the problem and the usage text to stderr and exits 2 (every
// script's "usage" exit code); so does an option parseArgs refuses.

export function usageError(usage: string, problem?: string): never {
  if (problem) console.error(problem);
  console.error(usage);
  process.exit(2);
}

/** node:util parseArgs, with a refused option answered as a usage error. */
export function parseCli<T extends ParseArgsConfig>(usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    return usageError(usage, err instanceof Error ? err.message : String(err));
  }
}
