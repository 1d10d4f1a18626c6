import "server-only";
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { assertKey, isStorageKey, StorageNotFound, type Storage, type StoredObject } from "./storage";
import { hashingCounter } from "./hashing-counter";

/**
 * Attachments as files under one root (BEACON_DATA_DIR/uploads): `org/<orgId>/<uuid>`. A put
 * writes to `.tmp/` on the same file system, fsyncs, then renames, so a reader never sees half a
 * file and an aborted upload leaves no file at its key (and its temp file is removed).
 */
export class LocalDiskStore implements Storage {
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async put(key: string, body: Readable): Promise<{ size: number; sha256: string }> {
    const final = this.pathOf(key);
    const tmpDir = path.join(this.root, ".tmp");
    await fs.mkdir(tmpDir, { recursive: true, mode: 0o700 });
    const tmp = path.join(tmpDir, `${randomUUID()}.part`);
    const counter = hashingCounter();
    try {
      await pipeline(body, counter, createWriteStream(tmp, { flags: "wx", mode: 0o600 }));
      const fh = await fs.open(tmp, "r+");
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.mkdir(path.dirname(final), { recursive: true, mode: 0o700 });
      await fs.rename(tmp, final);
    } catch (err) {
      body.destroy();
      await fs.rm(tmp, { force: true });
      throw err;
    }
    return counter.result();
  }

  async get(key: string): Promise<Readable> {
    try {
      const fh = await fs.open(this.pathOf(key), "r");
      return fh.createReadStream();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new StorageNotFound(key);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  async *list(): AsyncIterable<StoredObject> {
    const orgsDir = path.join(this.root, "org");
    for (const org of await readdirOrEmpty(orgsDir)) {
      for (const name of await readdirOrEmpty(path.join(orgsDir, org))) {
        const key = `org/${org}/${name}`;
        if (!isStorageKey(key)) continue;
        const st = await fs.stat(this.pathOf(key)).catch(() => null);
        if (st?.isFile()) yield { key, modifiedAt: st.mtime };
      }
    }
  }

  async removeStaleTemp(before: Date): Promise<number> {
    return removeOldFiles(path.join(this.root, ".tmp"), before);
  }

  /** The key shape is checked, and the resolved path must still be inside the root. */
  private pathOf(key: string): string {
    const p = path.resolve(this.root, ...assertKey(key).split("/"));
    if (!p.startsWith(this.root + path.sep)) throw new Error("invalid storage key");
    return p;
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** Removes the `.part` files in dir last written before `before`; how many. */
export async function removeOldFiles(dir: string, before: Date): Promise<number> {
  let removed = 0;
  for (const name of await readdirOrEmpty(dir)) {
    if (!name.endsWith(".part")) continue;
    const file = path.join(dir, name);
    const st = await fs.stat(file).catch(() => null);
    if (st?.isFile() && st.mtime < before) {
      await fs.rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}
