import { AppError } from "./errors";

/**
 * The If-Match check of a versioned resource (decisions 038, 043), run once its row is locked:
 * `ifVersion` lists the versions the caller's If-Match names (undefined: no header or `*`, any
 * version). A mismatch is 412 with the current version, and nothing changes.
 */
export function assertVersion(what: string, current: number, ifVersion: readonly number[] | undefined): void {
  if (ifVersion && !ifVersion.includes(current)) {
    throw new AppError(
      "precondition_failed",
      `the ${what} has changed since that version; read it again and reapply your change`,
      { version: current },
    );
  }
}
