import "server-only";
import { AppError } from "../core/errors";

// A resource's stored version as its entity tag, and If-Match read back into versions
// (RFC 9110 §8.8.3 and §13.1.1; docs/decisions/038-etag-if-match.md).

/** The ETag of a stored version: a strong tag, so If-Match (which compares strongly) can use it. */
export const etagOf = (version: number): string => `"${version}"`;

const STRONG = /^"(\d{1,9})"$/;
const OPAQUE = /^(?:W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

/**
 * The versions an If-Match header accepts: undefined when there is none or it is `*` (the resource
 * need only exist, as without the header). A weak or foreign tag matches no version, so a list of
 * only those is [] and the precondition fails; anything that is not an entity tag is a 400.
 */
export function ifMatchVersions(headers: Headers): number[] | undefined {
  const raw = headers.get("if-match");
  if (raw === null || raw.trim() === "*") return undefined;
  const versions: number[] = [];
  for (const tag of raw.split(",").map((t) => t.trim())) {
    const strong = STRONG.exec(tag);
    if (strong) versions.push(Number(strong[1]));
    else if (!OPAQUE.test(tag)) {
      const message = 'must be * or entity tags as ETag gives them, e.g. "7"';
      throw new AppError("validation_failed", `If-Match ${message}`, {
        issues: [{ in: "header", path: "If-Match", message }],
      });
    }
  }
  return versions;
}

/** A JSON body with the ETag of the version it shows. */
export function withEtag(body: unknown, version: number, status = 200): Response {
  return Response.json(body, { status, headers: { ETag: etagOf(version) } });
}
