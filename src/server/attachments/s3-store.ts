import "server-only";
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import { createWriteStream, openAsBlob } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { pipeline } from "node:stream/promises";
import { AwsV4Signer } from "aws4fetch";
import { hashingCounter } from "./hashing-counter";
import { removeOldFiles } from "./local-disk-store";
import { assertKey, isStorageKey, StorageNotFound, type Storage, type StoredObject } from "./storage";

export type S3Config = {
  bucket: string;
  /** Default https://s3.<region>.amazonaws.com. */
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** endpoint/bucket/key instead of bucket.endpoint/key (MinIO and most self-hosted stores). */
  forcePathStyle: boolean;
  /** Local directory where an upload is spooled before it is sent (size and sha256 must be known first). */
  spoolDir: string;
};

/**
 * Any S3-compatible store, signed with SigV4 (aws4fetch) over the built-in fetch. An upload is
 * spooled to a local temp file first: S3's PutObject needs Content-Length up front, and sending
 * the sha256 as x-amz-content-sha256 lets the store refuse bytes that changed in transit. Memory
 * stays constant; an aborted upload never reaches the bucket.
 */
export class S3Store implements Storage {
  constructor(private readonly cfg: S3Config) {}

  async put(key: string, body: Readable): Promise<{ size: number; sha256: string }> {
    const url = this.urlOf(key);
    await fs.mkdir(this.cfg.spoolDir, { recursive: true, mode: 0o700 });
    const spool = path.join(this.cfg.spoolDir, `${randomUUID()}.part`);
    const counter = hashingCounter();
    try {
      await pipeline(body, counter, createWriteStream(spool, { flags: "wx", mode: 0o600 }));
      const { size, sha256 } = counter.result();
      const res = await this.send(
        "PUT",
        url,
        { "x-amz-content-sha256": sha256, "content-type": "application/octet-stream" },
        await openAsBlob(spool),
      );
      await res.body?.cancel();
      if (!res.ok) throw new Error(`S3 PUT ${key} answered ${res.status}`);
      return { size, sha256 };
    } catch (err) {
      body.destroy();
      throw err;
    } finally {
      await fs.rm(spool, { force: true });
    }
  }

  async get(key: string): Promise<Readable> {
    const res = await this.send("GET", this.urlOf(key));
    if (res.status === 404) {
      await res.body?.cancel();
      throw new StorageNotFound(key);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new Error(`S3 GET ${key} answered ${res.status}`);
    }
    return Readable.fromWeb(res.body as NodeWebStream<Uint8Array>);
  }

  async delete(key: string): Promise<void> {
    const res = await this.send("DELETE", this.urlOf(key));
    await res.body?.cancel();
    if (!res.ok && res.status !== 404) throw new Error(`S3 DELETE ${key} answered ${res.status}`);
  }

  /** ListObjectsV2 over the `org/` prefix, page by page (1,000 keys each). */
  async *list(): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const url = new URL(this.bucketUrl());
      url.searchParams.set("list-type", "2");
      url.searchParams.set("prefix", "org/");
      if (token) url.searchParams.set("continuation-token", token);
      const res = await this.send("GET", url.toString());
      const xml = await res.text();
      if (!res.ok) throw new Error(`S3 list answered ${res.status}`);
      for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const key = xmlText(m[1]!, "Key");
        const modified = xmlText(m[1]!, "LastModified");
        if (key && modified && isStorageKey(key)) yield { key, modifiedAt: new Date(modified) };
      }
      token = xmlText(xml, "IsTruncated") === "true" ? xmlText(xml, "NextContinuationToken") : undefined;
    } while (token);
  }

  async removeStaleTemp(before: Date): Promise<number> {
    return removeOldFiles(this.cfg.spoolDir, before);
  }

  private async send(
    method: string,
    url: string,
    headers: Record<string, string> = {},
    body?: Blob,
  ): Promise<Response> {
    const signed = await new AwsV4Signer({
      method,
      url,
      // Without a body the payload hash is the empty string's, so every request is fully signed.
      headers: { "x-amz-content-sha256": EMPTY_SHA256, ...headers },
      accessKeyId: this.cfg.accessKeyId,
      secretAccessKey: this.cfg.secretAccessKey,
      service: "s3",
      region: this.cfg.region,
    }).sign();
    // The deadline covers sending and the response head, not the streaming of a download's body.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error(`S3 ${method} timed out`)), 60_000);
    try {
      return await fetch(signed.url, { method, headers: signed.headers, body, signal: deadline.signal });
    } finally {
      clearTimeout(timer);
    }
  }

  private bucketUrl(): string {
    const endpoint = new URL(this.cfg.endpoint ?? `https://s3.${this.cfg.region}.amazonaws.com`);
    const base = endpoint.pathname.replace(/\/+$/, "");
    return this.cfg.forcePathStyle
      ? `${endpoint.origin}${base}/${encodeURIComponent(this.cfg.bucket)}/`
      : `${endpoint.protocol}//${this.cfg.bucket}.${endpoint.host}${base}/`;
  }

  private urlOf(key: string): string {
    const endpoint = new URL(this.cfg.endpoint ?? `https://s3.${this.cfg.region}.amazonaws.com`);
    const objectPath = assertKey(key).split("/").map(encodeURIComponent).join("/");
    const base = endpoint.pathname.replace(/\/+$/, "");
    if (this.cfg.forcePathStyle) {
      return `${endpoint.origin}${base}/${encodeURIComponent(this.cfg.bucket)}/${objectPath}`;
    }
    return `${endpoint.protocol}//${this.cfg.bucket}.${endpoint.host}${base}/${objectPath}`;
  }
}

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** The text of the first <tag> in xml, entities decoded (S3's list answers are flat enough for this). */
function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m?.[1]
    ?.replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}
