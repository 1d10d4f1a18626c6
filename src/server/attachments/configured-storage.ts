import "server-only";
import path from "node:path";
import { env } from "../env";
import { LocalDiskStore } from "./local-disk-store";
import { S3Store } from "./s3-store";
import type { Storage } from "./storage";

type Cached = { config: string; store: Storage };
const g = globalThis as unknown as { __beaconStorage?: Cached };

/** The configured store: S3 when S3_BUCKET is set, else local disk under BEACON_DATA_DIR/uploads. */
export function storage(): Storage {
  const e = env();
  const config = JSON.stringify([
    e.S3_BUCKET,
    e.S3_ENDPOINT,
    e.S3_REGION,
    e.S3_ACCESS_KEY_ID,
    e.S3_FORCE_PATH_STYLE,
    e.BEACON_DATA_DIR,
  ]);
  if (g.__beaconStorage?.config !== config) {
    const uploadsDir = path.resolve(e.BEACON_DATA_DIR, "uploads");
    const store: Storage = e.S3_BUCKET
      ? new S3Store({
          bucket: e.S3_BUCKET,
          endpoint: e.S3_ENDPOINT,
          region: e.S3_REGION,
          accessKeyId: e.S3_ACCESS_KEY_ID!,
          secretAccessKey: e.S3_SECRET_ACCESS_KEY!,
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
          spoolDir: path.join(uploadsDir, ".spool"),
        })
      : new LocalDiskStore(uploadsDir);
    g.__beaconStorage = { config, store };
  }
  return g.__beaconStorage.store;
}
