import "server-only";
import path from "node:path";
import { env } from "../env";

/**
 * Where uploads are spooled before they are checked and stored, and where the import job unpacks
 * an export to read it: BEACON_DATA_DIR/imports (never the system temp dir, which may be a small
 * RAM disk, while exports are up to IMPORT_MAX_UNZIPPED_BYTES).
 */
export function importWorkRoot(): string {
  return path.resolve(env().BEACON_DATA_DIR, "imports");
}

/** The unpacked export of one import in this process's machine, kept between its slices. */
export function importWorkDir(importId: string): string {
  return path.join(importWorkRoot(), "work", importId);
}
