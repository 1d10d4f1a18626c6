import "server-only";
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";

/** Where attachment bytes live. Keys are made by the server (newStorageKey), never from a filename. */
export interface Storage {
  /** Stores the stream under key; resolves once the bytes are durable. A failed or aborted stream leaves nothing behind. */
  put(key: string, body: Readable): Promise<{ size: number; sha256: string }>;
  /** The stored bytes; rejects with StorageNotFound when the key holds nothing. */
  get(key: string): Promise<Readable>;
  /** Removes the object; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every stored object with a valid key, with when it was written (for the orphan sweep). */
  list(): AsyncIterable<StoredObject>;
  /** Spool and temp files of puts that never finished (a process killed mid-upload), older than `before`; removed. */
  removeStaleTemp(before: Date): Promise<number>;
}

export type StoredObject = { key: string; modifiedAt: Date };

export class StorageNotFound extends Error {
  constructor(key: string) {
    super(`no stored object under ${key}`);
    this.name = "StorageNotFound";
  }
}

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const KEY = new RegExp(`^org/${UUID}/${UUID}$`);
// Uploaded exports waiting to be imported (decision 055): a prefix of their own, which neither
// store's list() walks, so the attachment orphan sweep never sees (or deletes) them.
const IMPORT_KEY = new RegExp(`^imports/${UUID}/${UUID}$`);

/** `org/<orgId>/<uuid>`: the only key shape either store accepts (besides import inputs), so no key can climb out of its root. */
export function newStorageKey(orgId: string): string {
  return assertKey(`org/${orgId.toLowerCase()}/${randomUUID()}`);
}

/** `imports/<orgId>/<uuid>`: where an uploaded export is kept until its import is done. */
export function newImportInputKey(orgId: string): string {
  return assertKey(`imports/${orgId.toLowerCase()}/${randomUUID()}`);
}

/** An attachment's key (what list() yields and the orphan sweep considers). */
export function isStorageKey(key: string): boolean {
  return KEY.test(key);
}

export function assertKey(key: string): string {
  if (!KEY.test(key) && !IMPORT_KEY.test(key)) throw new Error("invalid storage key");
  return key;
}
