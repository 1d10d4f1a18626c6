import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import tar from "tar-stream";

/** One member of an export archive as a reader sees it: its bytes and its pax header records. */
export type ArchiveMember = { name: string; bytes: Buffer; pax: Record<string, string> };

/** Every member of a tar archive, in order (test-sized archives only: this holds them all). */
export async function readArchive(bytes: Buffer): Promise<ArchiveMember[]> {
  const extract = tar.extract();
  const out: ArchiveMember[] = [];
  Readable.from([bytes]).pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c);
    const header = entry.header as tar.Headers & { pax?: Record<string, string> };
    out.push({ name: header.name, bytes: Buffer.concat(chunks), pax: header.pax ?? {} });
  }
  return out;
}

/** The rows of one section: every NDJSON member of it, in order. */
export function sectionRows(members: ArchiveMember[], section: string): Record<string, unknown>[] {
  return members
    .filter((m) => m.name.startsWith(`${section}/`) && m.name.endsWith(".ndjson"))
    .flatMap((m) =>
      m.bytes
        .toString("utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
